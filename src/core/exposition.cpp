#include "core/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/go/runes.h"
#include "core/strings.h"

namespace ceems {

std::string format_value(double v) {
  char buf[40];
  return {buf, format_value(v, buf)};
}

namespace {

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kUntyped:
      return "untyped";
  }
  return "untyped";
}

void append_escaped_help(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_escaped_label(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(s.data() + start, i - start);
    out += c == '\n' ? "\\n" : (c == '"' ? "\\\"" : "\\\\");
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

// One family as it appears in one batch, with its label names' sorted order.
struct Part {
  const MetricFamily* family;
  std::vector<size_t> order;  // indices into desc().labels, sorted by label name
};

struct SampleRef {
  const Part* part;
  size_t index;
  const std::string_view* row;  // this sample's label values (declaration order)
  std::string_view key;         // value of the first varying column: most comparisons end here
};

inline std::string_view sorted_value(const SampleRef& r, size_t k) { return r.row[r.part->order[k]]; }

// Go's metric sorter: fewer labels first, then label values pairwise in label-name order.
// Only the columns in `cols` are compared: columns whose value is the same in every
// sample of the family (hostname, manager...) cannot change the order.
bool sample_less(const SampleRef& a, const SampleRef& b, const std::vector<size_t>& cols) {
  size_t na = a.part->order.size();
  size_t nb = b.part->order.size();
  if (na != nb) return na < nb;
  for (size_t k : cols) {
    if (k >= na) break;
    auto va = sorted_value(a, k);
    auto vb = sorted_value(b, k);
    if (va != vb) return va < vb;
  }
  return false;
}

bool same_names(const Part& a, const Part& b) {
  if (a.order.size() != b.order.size()) return false;
  const auto& la = a.family->desc().labels;
  const auto& lb = b.family->desc().labels;
  for (size_t k = 0; k < a.order.size(); ++k) {
    if (la[a.order[k]] != lb[b.order[k]]) return false;
  }
  return true;
}

bool same_series(const SampleRef& a, const SampleRef& b, const std::vector<size_t>& cols) {
  if (a.part != b.part && !same_names(*a.part, *b.part)) return false;
  for (size_t k : cols) {
    if (k >= a.part->order.size()) break;
    if (sorted_value(a, k) != sorted_value(b, k)) return false;
  }
  return true;
}

// Columns that vary between samples; all columns when label names differ between parts.
std::vector<size_t> varying_columns(const std::vector<SampleRef>& samples) {
  std::vector<size_t> cols;
  if (samples.empty()) return cols;
  const Part* first = samples.front().part;
  size_t n = first->order.size();
  bool uniform = true;
  for (const auto& r : samples) {
    if (r.part != first && !same_names(*r.part, *first)) {
      uniform = false;
      break;
    }
  }
  for (size_t k = 0; k < n; ++k) {
    bool varies = !uniform;
    auto v0 = sorted_value(samples.front(), k);
    for (size_t i = 1; i < samples.size() && !varies; ++i) varies = sorted_value(samples[i], k) != v0;
    if (varies) cols.push_back(k);
  }
  if (!uniform) {
    // Label counts may differ too: compare up to the longest set.
    size_t longest = 0;
    for (const auto& r : samples) longest = std::max(longest, r.part->order.size());
    cols.clear();
    for (size_t k = 0; k < longest; ++k) cols.push_back(k);
  }
  return cols;
}

// A sample line is literal fragments around the values of the varying columns:
// name, label names and constant label values (hostname, manager...) are escaped
// once per family instead of once per sample.
struct LineTemplate {
  std::vector<std::string> literals;  // varying.size() + 1 pieces; the last ends with "} " or " "
  std::vector<size_t> varying;        // sorted-label positions appended per sample
};

LineTemplate make_template(const std::string& name, const SampleRef& sample,
                           const std::vector<bool>& is_varying) {
  LineTemplate t;
  const Part& p = *sample.part;
  const auto& labels = p.family->desc().labels;
  std::string lit = name;
  if (p.order.empty()) {
    t.literals.push_back(lit + " ");
    return t;
  }
  for (size_t k = 0; k < p.order.size(); ++k) {
    lit += k == 0 ? "{" : ",";
    lit += labels[p.order[k]];
    lit += "=\"";
    if (k < is_varying.size() && is_varying[k]) {
      t.literals.push_back(std::move(lit));
      t.varying.push_back(k);
      lit = "\"";
    } else {
      append_escaped_label(lit, sorted_value(sample, k));
      lit += '"';
    }
  }
  lit += "} ";
  t.literals.push_back(std::move(lit));
  return t;
}

void write_sample(std::string& out, const LineTemplate& t, const SampleRef& r) {
  out += t.literals[0];
  for (size_t i = 0; i < t.varying.size(); ++i) {
    append_escaped_label(out, sorted_value(r, t.varying[i]));
    out += t.literals[i + 1];
  }
  char buf[40];
  out.append(buf, format_value(r.part->family->value(r.index), buf));
  out += '\n';
}

}  // namespace

void write_text(std::span<const MetricBatch* const> batches, std::string& out, ExpositionProblems* problems) {
  auto report = [&](std::string msg) {
    if (problems != nullptr) problems->messages.push_back(std::move(msg));
  };

  std::vector<Part> parts;
  for (const MetricBatch* b : batches) {
    if (b == nullptr) continue;
    for (const auto& f : b->families()) {
      if (f->mismatched() > 0) {
        report(f->desc().name + ": " + std::to_string(f->mismatched()) +
               " sample(s) with the wrong number of label values dropped");
      }
      if (f->size() == 0) continue;
      Part p{f.get(), std::vector<size_t>(f->label_count())};
      std::iota(p.order.begin(), p.order.end(), 0);
      const auto& names = f->desc().labels;
      std::sort(p.order.begin(), p.order.end(), [&](size_t a, size_t c) { return names[a] < names[c]; });
      parts.push_back(std::move(p));
    }
  }
  // Stable: among parts with the same name, the earlier batch wins conflicts.
  std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
    return a.family->desc().name < b.family->desc().name;
  });

  std::vector<SampleRef> samples;
  size_t i = 0;
  while (i < parts.size()) {
    const MetricDesc& first = parts[i].family->desc();
    size_t j = i;
    samples.clear();
    for (; j < parts.size() && parts[j].family->desc().name == first.name; ++j) {
      const MetricDesc& d = parts[j].family->desc();
      if (j != i && (d.help != first.help || d.type != first.type)) {
        report("family " + first.name + " emitted again with a different help text or type; dropped");
        continue;
      }
      const MetricFamily* fam = parts[j].family;
      for (size_t s = 0; s < fam->size(); ++s) samples.push_back({&parts[j], s, fam->row(s), {}});
    }
    // sample_less needs the sorted order of label columns, in bounds for every sample
    // only when label counts agree; varying_columns() handles the mixed case.
    std::vector<size_t> cols = varying_columns(samples);
    if (!cols.empty()) {
      for (auto& r : samples)
        r.key = cols[0] < r.part->order.size() ? sorted_value(r, cols[0]) : std::string_view();
    }
    auto less = [&cols](const SampleRef& a, const SampleRef& b) {
      size_t na = a.part->order.size();
      size_t nb = b.part->order.size();
      if (na != nb) return na < nb;
      if (a.key != b.key) return a.key < b.key;
      return sample_less(a, b, cols);
    };
    if (!std::is_sorted(samples.begin(), samples.end(), less)) {
      std::stable_sort(samples.begin(), samples.end(), less);
    }

    out += "# HELP ";
    out += first.name;
    out += ' ';
    append_escaped_help(out, first.help);
    out += "\n# TYPE ";
    out += first.name;
    out += ' ';
    out += type_name(first.type);
    out += '\n';
    // Constant columns are validated once; varying ones per sample.
    size_t width = 0;
    for (const auto& r : samples) width = std::max(width, r.part->order.size());
    std::vector<bool> is_varying(width, false);
    for (size_t k : cols) {
      if (k < width) is_varying[k] = true;
    }
    bool constants_ok = true;
    for (size_t k = 0; k < width; ++k) {
      // Constant columns exist only when every sample has the same label names.
      if (!is_varying[k] && !go::valid_string(sorted_value(samples.front(), k))) constants_ok = false;
    }
    const SampleRef* prev = nullptr;
    const Part* template_part = nullptr;
    LineTemplate line;
    for (const auto& r : samples) {
      if (prev != nullptr && prev->part->order.size() == r.part->order.size() &&
          same_series(*prev, r, cols)) {
        report("duplicate sample of " + first.name + " dropped");
        continue;
      }
      bool labels_valid = constants_ok;
      for (size_t k : cols) {
        if (!labels_valid || k >= r.part->order.size()) break;
        labels_valid = go::valid_string(sorted_value(r, k));
      }
      if (!labels_valid) {
        report("sample of " + first.name + " with a label value that is not valid UTF-8 dropped");
        continue;
      }
      if (r.part != template_part) {
        line = make_template(first.name, r, is_varying);
        template_part = r.part;
      }
      write_sample(out, line, r);
      prev = &r;
    }
    i = j;
  }
}

}  // namespace ceems
