# Thin wrappers over dev.py, which needs nothing but Python 3.11+.
.PHONY: run test ui eval bench lock
run:
	python3 dev.py run
test:
	python3 dev.py test
ui:
	python3 dev.py ui
eval:
	python3 dev.py eval
bench:
	python3 dev.py bench
lock:
	python3 dev.py lock
