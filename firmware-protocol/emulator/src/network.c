#include "network.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A normal draw truncated at 3 sigma, so that a relative sigma below 1/3 never gives a value <= 0. */
static double draw(rng_t *r, tolerance_t t)
{
	if (t.sigma == 0)
		return t.nominal;
	double z;
	do
		z = rng_gauss(r);
	while (fabs(z) > 3);
	return t.nominal * (1 + t.sigma * z);
}

void network_init(network_t *n, const model_t *m, uint64_t seed)
{
	memset(n, 0, sizeof *n);
	n->model = *m;
	n->seed = seed;
	int e = 0;
	/* HARDWARE.md: for each node in order, the edge to the right (col < cols-1), then the edge down */
	for (int node = 0; node < m->rows * m->cols; node++) {
		int row = node / m->cols, col = node % m->cols;
		if (col < m->cols - 1)
			n->edge[e].a = node, n->edge[e].b = node + 1, e++;
		if (row < m->rows - 1)
			n->edge[e].a = node, n->edge[e].b = node + m->cols, e++;
	}
	rng_t r;
	rng_seed(&r, seed, STREAM_TOLERANCE);
	/* the order of the draws is part of the contract of a seed: edge by edge, rs, rw, rab */
	for (e = 0; e < N_EDGES; e++) {
		n->edge[e].rs = draw(&r, m->rs);
		n->edge[e].rw = draw(&r, m->rw);
		n->edge[e].rab = draw(&r, m->rab);
	}
	network_power_on(n);
}

void network_power_on(network_t *n)
{
	memset(n->tap, 128, sizeof n->tap);
	memset(n->dac, 0, sizeof n->dac);
	n->sw = 0;
	network_solve(n);
}

double network_edge_r(const network_t *n, int e)
{
	const edge_t *g = &n->edge[e];
	return g->rs + g->rw + g->rab * (256 - n->tap[e]) / 256.0;
}

int network_dac_node(int c)
{
	return c < 4 ? c : 8 + c;
}

void network_solve(network_t *n)
{
	double G[N_NODES][N_NODES] = { { 0 } }, b[N_NODES] = { 0 };
	for (int i = 0; i < N_NODES; i++)
		G[i][i] = n->model.leak;
	for (int e = 0; e < N_EDGES; e++) {
		double g = 1.0 / network_edge_r(n, e);
		int a = n->edge[e].a, c = n->edge[e].b;
		G[a][a] += g;
		G[c][c] += g;
		G[a][c] -= g;
		G[c][a] -= g;
	}
	for (int c = 0; c < N_DAC; c++)
		if (n->sw & (1 << c)) {
			int node = network_dac_node(c);
			double g = 1.0 / n->model.switch_ron;
			G[node][node] += g;
			b[node] += g * n->model.vref * n->dac[c] / 4096.0;
		}
	/* G is symmetric positive definite (the leak makes it so even for a floating network): G = L L^T */
	double L[N_NODES][N_NODES] = { { 0 } };
	for (int j = 0; j < N_NODES; j++) {
		double d = G[j][j];
		for (int k = 0; k < j; k++)
			d -= L[j][k] * L[j][k];
		L[j][j] = sqrt(d);
		for (int i = j + 1; i < N_NODES; i++) {
			double s = G[i][j];
			for (int k = 0; k < j; k++)
				s -= L[i][k] * L[j][k];
			L[i][j] = s / L[j][j];
		}
	}
	double y[N_NODES];
	for (int i = 0; i < N_NODES; i++) {
		double s = b[i];
		for (int k = 0; k < i; k++)
			s -= L[i][k] * y[k];
		y[i] = s / L[i][i];
	}
	for (int i = N_NODES - 1; i >= 0; i--) {
		double s = y[i];
		for (int k = i + 1; k < N_NODES; k++)
			s -= L[k][i] * n->v[k];
		n->v[i] = s / L[i][i];
	}
}

int network_dump_truth(const network_t *n, const char *file)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	const model_t *m = &n->model;
	/* %.17g: doubles round-trip exactly, so a test can recompute from these numbers */
	fprintf(f, "{\"board\":\"%s\",\"seed\":%llu,\"vref\":%.17g,\"switch_ron\":%.17g,\"leak\":%.17g,"
		"\"adc_noise\":%.17g,\n\"edges\":[\n", m->board, (unsigned long long)n->seed, m->vref, m->switch_ron,
		m->leak, m->adc_noise);
	for (int e = 0; e < N_EDGES; e++) {
		const edge_t *g = &n->edge[e];
		fprintf(f, " {\"a\":%d,\"b\":%d,\"rs\":%.17g,\"rw\":%.17g,\"rab\":%.17g,\"rmin\":%.17g,\"rmax\":%.17g,"
			"\"tap\":%d,\"r\":%.17g}%s\n", g->a, g->b, g->rs, g->rw, g->rab,
			g->rs + g->rw + g->rab / 256.0, g->rs + g->rw + g->rab, n->tap[e], network_edge_r(n, e),
			e + 1 < N_EDGES ? "," : "");
	}
	fprintf(f, "],\n\"dac\":[");
	for (int c = 0; c < N_DAC; c++)
		fprintf(f, "%s{\"code\":%d,\"volts\":%.17g,\"node\":%d}", c ? "," : "", n->dac[c],
			m->vref * n->dac[c] / 4096.0, network_dac_node(c));
	fprintf(f, "],\n\"switch\":%d,\"switches\":[", n->sw);
	for (int c = 0; c < N_DAC; c++)
		fprintf(f, "%s%s", c ? "," : "", n->sw & (1 << c) ? "true" : "false");
	fprintf(f, "],\n\"node_volts\":[");
	for (int i = 0; i < N_NODES; i++)
		fprintf(f, "%s%.17g", i ? "," : "", n->v[i]);
	fprintf(f, "]}\n");
	if (fclose(f))
		return -1;
	return rename(tmp, file);
}
