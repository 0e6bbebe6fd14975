/*
 * demo.h: `revguard-sim demo SCENARIO.ini [--variant A,B] [--speed X]`, the
 * stories' live demo replayed in a terminal (demo.c).
 */
#ifndef RG_DEMO_H
#define RG_DEMO_H

/* Runs the demo command: argv[1] is "demo", its options and the scenario
 * follow.  Prints its own errors; returns the exit code (util.h). */
int rg_demo_main(int argc, char **argv);

#endif
