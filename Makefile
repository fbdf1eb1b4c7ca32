# Thin wrappers over dev.py, which needs nothing but Python 3.11+.
.PHONY: run test ui eval bench bench-1m lock
run:
	python3 dev.py run
test:
	python3 dev.py test
ui:
	python3 dev.py ui
eval:
	python3 dev.py eval
bench:
	python3 dev.py bench --sizes 100000
# Run alone on a quiet machine: about 5 GB of synthetic corpus under .bench/, the `kronika run` path only.
bench-1m:
	python3 dev.py bench --sizes 1000000 --end-to-end-only
lock:
	python3 dev.py lock
