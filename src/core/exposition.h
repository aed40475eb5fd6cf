// Prometheus text format 0.0.4, laid out exactly as the Go client does: families
// sorted by name, labels sorted by name, samples sorted by label values, Go's
// shortest 'g' float formatting. Conflicting families and duplicate samples are
// dropped (first one wins) and reported, never failing the page.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/go/strconv.h"
#include "core/metrics.h"

namespace ceems {

// Formats v like Go's strconv.FormatFloat(v, 'g', -1, 64). Returns the length written
// into buf (which must hold at least 32 bytes).
inline size_t format_value(double v, char* buf) { return go::format_float(v, buf); }
std::string format_value(double v);

struct ExpositionProblems {
  std::vector<std::string> messages;  // one per dropped family or sample
};

// Appends the text page for all batches to out.
void write_text(std::span<const MetricBatch* const> batches, std::string& out,
                ExpositionProblems* problems = nullptr);

}  // namespace ceems
