/* rill.h — the one header a rill user includes: records and batches, the
 * inline pipeline API, the graph API, external commands as stages, live
 * sources, running them, plugins, versioned catalogs, the fingerprints
 * of incremental runs and the ordered map. See README.md for a complete
 * example. */
#ifndef RILL_H
#define RILL_H

#include "rill/common.h"
#include "rill/record.h"
#include "rill/pipeline.h"
#include "rill/graph.h"
#include "rill/io.h"
#include "rill/sources.h"
#include "rill/tracker.h"
#include "rill/checkpoint.h"
#include "rill/catalog.h"
#include "rill/cache.h"
#include "rill/compile.h"
#include "rill/fingerprint.h"
#include "rill/dist.h"
#include "rill/exec.h"
#include "rill/plugin.h"
#include "rill/sweep.h"
#include "rill/map.h"

#endif
