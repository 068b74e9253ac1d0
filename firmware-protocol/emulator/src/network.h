/* The resistor network of the clln-ref16 board: 16 nodes, 24 edges (AD5206 rheostat + series resistor), 8 DAC
 * channels that reach their nodes through ADG714 switches, and a leak to ground from every node. */
#ifndef CLLN_NETWORK_H
#define CLLN_NETWORK_H
#include <stdint.h>
#include "model.h"

#define N_NODES 16
#define N_EDGES 24
#define N_DAC 8

typedef struct {
	int a, b;			/* node ids */
	double rs, rw, rab;		/* ohm, the drawn (hidden) values */
} edge_t;

typedef struct {
	model_t model;
	uint64_t seed;
	edge_t edge[N_EDGES];
	/* chip state, written by chips.c */
	uint8_t tap[N_EDGES];		/* AD5206 code per edge */
	uint16_t dac[N_DAC];		/* AD5328 12-bit code per channel */
	uint8_t sw;			/* ADG714 switch byte, bit c = S(c+1) closed */
	/* solution */
	double v[N_NODES];		/* volts */
} network_t;

/* Builds the lattice edges of HARDWARE.md and draws the per-edge tolerances from (model, seed). */
void network_init(network_t *n, const model_t *m, uint64_t seed);
/* Power-on state of the chips: taps 128, DAC codes 0, switches open. */
void network_power_on(network_t *n);
/* edge resistance in ohm at its present tap */
double network_edge_r(const network_t *n, int e);
/* node a DAC channel's switch joins */
int network_dac_node(int c);
/* Solves the node voltages into n->v (dense Cholesky of the 16 x 16 conductance matrix). */
void network_solve(network_t *n);
/* Writes the truth JSON (tolerances, rmin/rmax, chip state, node volts) to FILE atomically; 0 on success. */
int network_dump_truth(const network_t *n, const char *file);
#endif
