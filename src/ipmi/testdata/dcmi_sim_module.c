/*
 * DCMI support for OpenIPMI's BMC simulator (ipmi_sim), which has none of its own.
 * Built by ipmi_sim_test at test time and loaded with a lan.conf line such as
 *   loadlib "/tmp/x/dcmi_sim_module.so" "watts=250 inactive zero_every=2"
 *
 * Answers, for the DCMI group extension (netfn 0x2C, first data byte 0xDC):
 *   0x01 Get DCMI Capabilities Info (parameter 1: supported capabilities)
 *   0x02 Get Power Reading: current = watts + (time % 7), minimum = watts - 20,
 *        maximum = watts + 30, average = watts; "inactive" clears the state bit;
 *        "zero_every=N" answers every Nth power reading with 0 W everywhere, the
 *        glitch some BMCs have.
 * Everything else gets completion code 0xC1 (invalid command).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <OpenIPMI/mcserv.h>
#include <OpenIPMI/serv.h>

#define DCMI_GROUP_ID 0xDC
#define CC_OK 0x00
#define CC_INVALID_COMMAND 0xC1
#define CC_REQUEST_TOO_SHORT 0xC7

static unsigned int base_watts = 250;
static int measurement_active = 1;
static unsigned int zero_every = 0;
static unsigned long power_readings = 0;

static void store_le(unsigned char *dst, uint32_t value, int bytes) {
  int i;
  for (i = 0; i < bytes; i++) dst[i] = (unsigned char)((value >> (8 * i)) & 0xff);
}

static void answer_capabilities(unsigned char *rdata, unsigned int *rdata_len) {
  memset(rdata, 0, 9);
  rdata[0] = CC_OK;
  rdata[1] = DCMI_GROUP_ID;
  rdata[2] = 1; /* DCMI 1.5 */
  rdata[3] = 5;
  rdata[4] = 2;    /* parameter revision */
  rdata[6] = 0x01; /* platform capabilities: power management */
  *rdata_len = 9;
}

static void answer_power_reading(unsigned char *rdata, unsigned int *rdata_len) {
  time_t now = time(NULL);
  unsigned int current = base_watts + (unsigned int)(now % 7);
  unsigned int base = base_watts;

  power_readings++;
  if (zero_every > 0 && power_readings % zero_every == 0) {
    current = 0;
    base = 0;
  }

  memset(rdata, 0, 19);
  rdata[0] = CC_OK;
  rdata[1] = DCMI_GROUP_ID;
  store_le(rdata + 2, current, 2);
  store_le(rdata + 4, base > 20 ? base - 20 : 0, 2);
  store_le(rdata + 6, base > 0 ? base + 30 : 0, 2);
  store_le(rdata + 8, base, 2);
  store_le(rdata + 10, (uint32_t)now, 4);
  store_le(rdata + 14, 1000, 4); /* statistics period, ms */
  rdata[18] = measurement_active ? 0x40 : 0x00;
  *rdata_len = 19;
}

static void handle_dcmi(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len,
                        void *cb_data) {
  (void)mc;
  (void)cb_data;
  if (msg->len < 1) {
    rdata[0] = CC_REQUEST_TOO_SHORT;
    *rdata_len = 1;
    return;
  }
  switch (msg->cmd) {
    case 0x01:
      answer_capabilities(rdata, rdata_len);
      break;
    case 0x02:
      answer_power_reading(rdata, rdata_len);
      break;
    default:
      rdata[0] = CC_INVALID_COMMAND;
      *rdata_len = 1;
      break;
  }
}

static void parse_options(const char *opts) {
  const char *p;
  if (opts == NULL) return;
  p = strstr(opts, "watts=");
  if (p != NULL) base_watts = (unsigned int)strtoul(p + 6, NULL, 10);
  if (strstr(opts, "inactive") != NULL) measurement_active = 0;
  p = strstr(opts, "zero_every=");
  if (p != NULL) zero_every = (unsigned int)strtoul(p + 11, NULL, 10);
}

int ipmi_sim_module_init(sys_data_t *sys, const char *initstr) {
  (void)sys;
  parse_options(initstr);
  ipmi_emu_register_group_extension_handler(DCMI_GROUP_ID, handle_dcmi, NULL);
  return 0;
}
