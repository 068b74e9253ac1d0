/**
 * The documented limits on every count and size in clln's input formats (src/formats/README.md has the table, each
 * format's README section and JSON Schema state its own). A reader checks a count against its limit before it
 * allocates anything sized by it, and a file's size before it reads the file, so no input can make clln run out of
 * memory or time: the work is bounded by these numbers. The limits are far above what real boards and networks
 * need; each comment says what it leaves room for.
 */

/** 1 MiB in bytes. */
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Every JSON document (network, task, board model, calibration plan, calibration record, and each run-record line)

/**
 * Largest JSON document file (bytes), checked before the file is read. Parsing a JSON text takes up to about 20
 * bytes of memory per byte of text (many small arrays), so this caps the memory a file can cost at about 1.3 GB. The
 * largest network the counts below allow, written by clln (one edge per line, full-precision numbers), is about
 * 60 MB.
 */
export const MAX_JSON_FILE_BYTES = 64 * MiB;

/**
 * Deepest nesting of arrays and objects in any JSON document (levels). clln's formats nest at most 8 deep (a run's
 * start document holding a calibration record holding its plan); the limit is checked on the text, before the
 * document is parsed, so nothing recursive ever walks a deeper one.
 */
export const MAX_JSON_DEPTH = 64;

/** Longest name or identifier string (characters): network names, board models, uids, firmware versions, ids. */
export const MAX_NAME_LENGTH = 256;

/** Longest free-text string (characters): descriptions, fit reasons, identifiability parameter names and suggestions. */
export const MAX_TEXT_LENGTH = 10_000;

// ---------------------------------------------------------------------------------------------------------------
// clln.network/1

/** Most nodes of a network (a 447 x 447 lattice). */
export const MAX_NETWORK_NODES = 200_000;

/** Most edges of a network (5 per node at the node limit, a diagonal lattice has 4). */
export const MAX_NETWORK_EDGES = 1_000_000;

/** Most entries of a tap table (`taps`): 16-bit digital potentiometers. */
export const MAX_TAPS = 65_536;

/** Most points of a table element's I(V) curve (`elements[e].v`, `.i`): a 16-bit sweep. */
export const MAX_TABLE_POINTS = 65_536;

// ---------------------------------------------------------------------------------------------------------------
// clln.task/1

/** Most examples in `train`, and in `test`. */
export const MAX_EXAMPLES = 100_000;

// ---------------------------------------------------------------------------------------------------------------
// Boards: clln.board/1, and the board parts of calibration plans and records

/** Most nodes of a board. */
export const MAX_BOARD_NODES = 4096;

/** Most edges of a board. */
export const MAX_BOARD_EDGES = 65_536;

/** Longest board model name or firmware version (characters): each goes on the wire as one `ID` field. */
export const MAX_BOARD_TOKEN_LENGTH = 64;

/** Longest board uid (hex digits): 128 bits. */
export const MAX_UID_HEX_DIGITS = 32;

// ---------------------------------------------------------------------------------------------------------------
// clln.calibration-plan/1 and clln.calibration/1

/** Most levels of a settings sweep, most mixed configurations, most explicit configurations. */
export const MAX_PLAN_CONFIGURATIONS = 1000;

/** Most source patterns per configuration (random `count`, or an explicit `list`). */
export const MAX_PLAN_PATTERNS = 1000;

/**
 * Most measurements of a plan (configurations x patterns), and of a record's `data`. The fit's Jacobian has one row
 * per node reading: at this limit on a 16-node board with 228 parameters, 10,000 x 16 rows take 290 MB; the default
 * plans take 168 measurements.
 */
export const MAX_PLAN_MEASUREMENTS = 10_000;

/** Most ADC samples averaged per measurement (PROTOCOL.md `MEAS`). */
export const MAX_SAMPLES = 1024;

/** Largest iteration count, degree-of-freedom count or reading count in a record's fit summary. */
export const MAX_FIT_COUNT = 1_000_000_000;

/** Most entries of a record's identifiability lists (gauges, undetermined groups, the parameters of one group). */
export const MAX_IDENTIFIABILITY_ENTRIES = 200_000;

/** Most suggestions per undetermined group. */
export const MAX_SUGGESTIONS = 100;

/** Largest protocol version number. */
export const MAX_PROTOCOL_VERSION = 1000;

// ---------------------------------------------------------------------------------------------------------------
// Run records (JSON lines)

/**
 * Largest run file (bytes), checked before it is read: a reader holds the whole run in memory (about 3 kB per
 * recorded step of a 16-node board, whose event lines take about 1 kB), so this is about 270,000 steps of a 16-node
 * board.
 */
export const MAX_RUN_FILE_BYTES = 256 * MiB;

/** Longest line of a run file (bytes): a start document holds the network, the task and the calibration record. */
export const MAX_RUN_LINE_BYTES = 16 * MiB;

// ---------------------------------------------------------------------------------------------------------------
// SPICE netlists (`clln import spice`)

/** Largest netlist file (bytes), checked before it is read: a network at the edge limit is about 40 MB of R lines. */
export const MAX_SPICE_FILE_BYTES = 64 * MiB;

/**
 * Longest logical line (characters, after joining its `+` continuation lines): a table element of
 * {@link MAX_TABLE_POINTS} points written as a `pwl` takes about 2.6 MB.
 */
export const MAX_SPICE_LINE_CHARS = 4 * MiB;

/** Deepest nesting of subcircuit instances (`X` inside a `.subckt` inside ...); real designs nest a few levels. */
export const MAX_SPICE_SUBCKT_DEPTH = 32;

/**
 * Most element instances after flattening the subcircuits (R, D, V, M and B lines, each instance of a subcircuit
 * counted once per use): the network's edge limit plus room for the sources. Checked while expanding, so a chain of
 * subcircuits that doubles at every level stops at this count, not at 2^depth.
 */
export const MAX_SPICE_ELEMENTS = MAX_NETWORK_EDGES + MAX_NETWORK_NODES;

/**
 * Most characters of element and instance lines read while flattening (bytes of text; each instance of a subcircuit
 * reads its body again): 4 x the file limit. Why: the line count alone does not bound the work when the lines are
 * long (a 4 MB line inside a subcircuit used a million times); with this the time is linear in this many characters.
 */
export const MAX_SPICE_FLATTENED_CHARS = 4 * 64 * MiB;

/** Deepest nesting of parentheses in a `{...}` expression. */
export const MAX_SPICE_EXPRESSION_DEPTH = 64;

// ---------------------------------------------------------------------------------------------------------------
// clln.springs/1

/** Most nodes of a spring network (positions): 400,000 degrees of freedom in 2D, 600,000 in 3D. */
export const MAX_SPRING_NODES = 200_000;

/** Most springs of a spring network (5 per node at the node limit; a full triangular lattice has 3). */
export const MAX_SPRINGS = 1_000_000;

/** Largest coordinate magnitude |x| in a spring-network file (length units): squared distances stay finite. */
export const MAX_SPRING_COORDINATE = 1e12;
