// Registration of every command-line flag of ceems_exporter: framework flags,
// one --collector.<name> per row of the collector table, and collector flags.
#pragma once

#include "core/flags.h"

namespace ceems {

void register_exporter_flags(FlagSet& flags);
// Applies --collector.disable-defaults: collectors not named on the command line are off.
void apply_disable_defaults(FlagSet& flags);
std::string collector_flag(std::string_view name);

}  // namespace ceems
