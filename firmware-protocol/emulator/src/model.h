/* The board model file: nominal component values and tolerances (see README.md, "Model file"). */
#ifndef CLLN_MODEL_H
#define CLLN_MODEL_H

typedef struct {
	double nominal;	/* ohm */
	double sigma;	/* relative standard deviation, 0 = exact */
} tolerance_t;

typedef struct {
	char board[64];
	int rows, cols;		/* the lattice; the clln-ref16 chips wire exactly 4 x 4 */
	tolerance_t rs, rw, rab;
	double switch_ron;	/* ohm, ADG714 on-resistance */
	double leak;		/* siemens, from every node to ground */
	double adc_noise;	/* volts rms added to every ADC sample */
	double vref;		/* volts: DAC reference and ADC reference (AVCC) */
} model_t;

/* Reads and checks FILE; on any error prints one line naming the file, line, rule and fix, and exits 2. */
void model_read(const char *file, model_t *m);
#endif
