// The explicit registration table of collectors. Adding a collector is one row here.
#include "core/collector.h"
#include "emissions/emissions.h"
#include "ipmi/ipmi_dcmi.h"
#include "libvirt/libvirt_collector.h"
#include "node/cpu.h"
#include "node/meminfo.h"
#include "power/cray_pm_counters.h"
#include "power/hwmon.h"
#include "power/rapl.h"
#include "redfish/redfish_collector.h"
#include "slurm/slurm_collector.h"

namespace ceems {

std::span<const CollectorInfo> collector_table() {
  static const CollectorInfo table[] = {
      {"cpu", true, nullptr, &make_cpu_collector},
      {"cray_pm_counters", false, nullptr, &make_cray_pm_counters_collector},
      {"emissions", false, &register_emissions_flags, &make_emissions_collector},
      {"hwmon", false, nullptr, &make_hwmon_collector},
      {"ipmi_dcmi", false, &register_ipmi_dcmi_flags, &make_ipmi_dcmi_collector},
      {"libvirt", false, &libvirt::register_libvirt_flags, &libvirt::make_libvirt_collector},
      {"meminfo", true, &register_meminfo_flags, &make_meminfo_collector},
      {"rapl", true, &register_rapl_flags, &make_rapl_collector},
      {"redfish", false, &register_redfish_flags, &make_redfish_collector},
      {"slurm", false, &slurm::register_slurm_flags, &slurm::make_slurm_collector},
  };
  return table;
}

}  // namespace ceems
