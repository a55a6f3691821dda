# labs/labs.mk - the lab machinery: the marker stripper behind `make handout`
# and the grader behind `make grade` (labs/README.md).
HOST_SRCS  += labs/tools/strip.c
UNIT_TESTS += test_handout_strip
HOST_SRCS  += vmm/lab.c
