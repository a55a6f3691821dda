# tests/tests.mk - sources of tests/ (see the top Makefile)
