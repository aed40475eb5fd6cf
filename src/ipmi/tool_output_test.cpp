#include "ipmi/tool_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ceems::ipmi {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kFreeIpmi =
    "Current Power                        : 332 Watts\n"
    "Minimum Power over sampling duration : 68 watts\n"
    "Maximum Power over sampling duration : 504 watts\n"
    "Average Power over sampling duration : 348 watts\n"
    "Time Stamp                           : 11/03/2023 - 08:36:29\n"
    "Statistics reporting time period     : 2685198000 milliseconds\n"
    "Power Measurement                    : Active\n";

constexpr std::string_view kIpmitool =
    "\n"
    "    Instantaneous power reading:                  2578 Watts\n"
    "    Minimum during sampling period:               2118 Watts\n"
    "    Maximum during sampling period:               4294 Watts\n"
    "    Average power reading over sample period:     2567 Watts\n"
    "    IPMI timestamp:                           Wed Feb 14 17:09:10 2024\n"
    "    Sampling period:                          00000300 Seconds.\n"
    "    Power reading state is:                   activated\n";

constexpr std::string_view kIpmiutil =
    "ipmiutil dcmi ver 3.17\n"
    "-- BMC version 6.10, IPMI version 2.0\n"
    "DCMI Version:                   1.5\n"
    "DCMI Power Management:          Supported\n"
    "DCMI System Interface Access:   Supported\n"
    "DCMI Serial TMode Access:       Supported\n"
    "DCMI Secondary LAN Channel:     Supported\n"
    "  Current Power:                   49 Watts\n"
    "  Min Power over sample duration:  6 Watts\n"
    "  Max Power over sample duration:  304 Watts\n"
    "  Avg Power over sample duration:  49 Watts\n"
    "  Timestamp:                       Thu Feb 15 09:37:32 2024\n"
    "\n"
    "  Sampling period:                 1000 ms\n"
    "  Power reading state is:          active\n"
    "  Exception Action:  OEM defined\n"
    "  Power Limit:       896 Watts (inactive)\n"
    "  Correction Time:   62914560 ms\n"
    "  Sampling period:   1472 sec\n"
    "ipmiutil dcmi, completed successfully\n";

constexpr std::string_view kCapmc =
    "{\n"
    "\"start_time\":\"2015-04-01 17:02:10\",\n"
    "\"avg\":5942,\n"
    "\"min\":5748,\n"
    "\"max\":6132,\n"
    "\"window_len\":600,\n"
    "\"e\":0,\n"
    "\"err_msg\":\"\"\n"
    "}\n";

void expect_readings(const Result<PowerReadings>& r, double current, double min, double max, double avg) {
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->current, current);
  EXPECT_EQ(r->min, min);
  EXPECT_EQ(r->max, max);
  EXPECT_EQ(r->avg, avg);
}

TEST(IpmiParseToolOutput, FreeIpmi) { expect_readings(parse_tool_output(kFreeIpmi), 332, 68, 504, 348); }

TEST(IpmiParseToolOutput, FreeIpmiWithSwappedUnitCapitalisation) {
  std::string out(kFreeIpmi);
  out.replace(out.find("332 Watts"), 9, "332 watts");
  out.replace(out.find("68 watts"), 8, "68 Watts");
  expect_readings(parse_tool_output(out), 332, 68, 504, 348);
}

TEST(IpmiParseToolOutput, Ipmitool) { expect_readings(parse_tool_output(kIpmitool), 2578, 2118, 4294, 2567); }

TEST(IpmiParseToolOutput, IpmiutilIgnoresThePowerLimitLine) {
  expect_readings(parse_tool_output(kIpmiutil), 49, 6, 304, 49);
}

TEST(IpmiParseToolOutput, CrLfLineEndings) {
  std::string out;
  for (char c : kFreeIpmi) {
    if (c == '\n') out += '\r';
    out += c;
  }
  expect_readings(parse_tool_output(out), 332, 68, 504, 348);
}

TEST(IpmiParseToolOutput, NotAvailableStatesAreErrors) {
  for (std::string_view state :
       {"Power Measurement                    : Not Available", "Power reading state is:          not active",
        "Power reading state is:                   deactivated", "Power Measurement : Not\tAvailable"}) {
    std::string out = "Current Power : 332 Watts\n" + std::string(state) + "\n";
    auto r = parse_tool_output(out);
    ASSERT_FALSE(r.ok()) << state;
    EXPECT_EQ(r.error().message(), "IPMI Power readings not Active") << state;
  }
}

TEST(IpmiParseToolOutput, MissingStateLineIsAnErrorQuotingTheOutput) {
  auto r = parse_tool_output("Current Power : 332 Watts\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("could not find value in output: "));
  EXPECT_THAT(r.error().message(), HasSubstr("332 Watts"));
}

TEST(IpmiParseToolOutput, EmptyAndGarbageInputsAreErrors) {
  EXPECT_FALSE(parse_tool_output("").ok());
  EXPECT_FALSE(parse_tool_output("\n\n\n").ok());
  EXPECT_FALSE(parse_tool_output("Error: Unable to establish IPMI v2 / RMCP+ session\n").ok());
  EXPECT_FALSE(parse_tool_output(std::string("\0\xff\x01garbage", 10)).ok());
  // The state word must follow the colon; an unknown word does not count.
  EXPECT_FALSE(parse_tool_output("Power Measurement : unknown\n").ok());
  // Vertical tab is not whitespace for the reference's \s.
  EXPECT_FALSE(parse_tool_output("\vPower Measurement : Active\n").ok());
  // Labels are case sensitive and anchored at the start of the line.
  EXPECT_FALSE(parse_tool_output("power measurement : Active\n").ok());
  EXPECT_FALSE(parse_tool_output("x Power Measurement : Active\n").ok());
}

TEST(IpmiParseToolOutput, TruncatedOutputKeepsWhatWasPrinted) {
  std::string out(kFreeIpmi);
  // Cut in the middle of the max line: the state line is gone, so nothing is trusted.
  EXPECT_FALSE(parse_tool_output(out.substr(0, out.find("Maximum") + 20)).ok());
  // State line first, then a reading cut before its unit: that reading is dropped.
  auto r = parse_tool_output("Power Measurement : Active\nCurrent Power : 332 Wat");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(IpmiParseToolOutput, ActiveStateWithoutReadingsIsEmptyNotAnError) {
  auto r = parse_tool_output("Power reading state is: active\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(IpmiParseToolOutput, StateWordMayBeFollowedByAnything) {
  auto r = parse_tool_output("Power Measurement : Activeish\nCurrent Power : 10 Watts\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->current, 10);
  // "activated" is matched by its own alternative, "deactivated" by its own.
  EXPECT_TRUE(parse_tool_output("Power reading state is: activated (since boot)\n").ok());
  EXPECT_FALSE(parse_tool_output("Power reading state is:deactivated\n").ok());
}

TEST(IpmiParseToolOutput, FirstStateLineWins) {
  EXPECT_FALSE(parse_tool_output("Power Measurement : Not Available\nPower Measurement : Active\n").ok());
  EXPECT_TRUE(parse_tool_output("Power Measurement : garbage\nPower Measurement : Active\n").ok());
}

TEST(IpmiParseToolOutput, FirstMatchingReadingLineWinsEvenWhenItsNumberIsBad) {
  auto r = parse_tool_output(
      "Current Power : 1.2.3 Watts\n"
      "Current Power : 5 Watts\n"
      "Minimum during sampling period: 7 Watts\n"
      "Min Power over sample duration: 8 Watts\n"
      "Power Measurement : Active\n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->current.has_value());
  EXPECT_EQ(r->min, 7);
}

TEST(IpmiParseToolOutput, UnparsableNumbersAreOmitted) {
  auto r = parse_tool_output(
      "Power Measurement : Active\n"
      "Current Power : Watts\n"
      "Minimum Power over sampling duration : . watts\n"
      "Maximum Power over sampling duration : 1.2.3 Watts\n"
      "Average Power over sampling duration : 12.5watts\n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->current);
  EXPECT_FALSE(r->min);
  EXPECT_FALSE(r->max);
  EXPECT_EQ(r->avg, 12.5);
}

TEST(IpmiParseToolOutput, HugeNumbers) {
  std::string digits(400, '9');
  auto r = parse_tool_output("Power Measurement : Active\nCurrent Power : " + digits +
                             " Watts\nAverage Power over sampling duration : 18446744073709551616 Watts\n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->current);  // overflows a double
  EXPECT_EQ(r->avg, 18446744073709551616.0);
}

TEST(IpmiParseToolOutput, ReadingLineNeedsTheWattsUnit) {
  auto r = parse_tool_output(
      "Power Measurement : Active\n"
      "Current Power : 332 kW\n"
      "Instantaneous power reading: 40 Watts\n"
      "Average Power over sampling duration : 348\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->current, 40);
  EXPECT_FALSE(r->avg);
}

TEST(IpmiParseCapmcOutput, Sample) { expect_readings(parse_capmc_output(kCapmc), 5942, 5748, 6132, 5942); }

TEST(IpmiParseCapmcOutput, CurrentIsOverriddenByAPositiveAverage) {
  expect_readings(parse_capmc_output(R"({"current":1,"avg":2,"min":3,"max":4})"), 2, 3, 4, 2);
  auto r = parse_capmc_output(R"({"current":1,"avg":0})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->current, 1);
  EXPECT_EQ(r->avg, 0);
}

TEST(IpmiParseCapmcOutput, ErrorWithMessage) {
  auto r = parse_capmc_output(R"({"e":1,"err_msg":"failed"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "capmc Power readings not Active: failed");
}

TEST(IpmiParseCapmcOutput, ErrorCodeWithoutAStringMessageIsIgnored) {
  auto r = parse_capmc_output(R"({"e":1,"err_msg":5,"avg":10})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->avg, 10);
  EXPECT_TRUE(parse_capmc_output(R"({"e":"1","err_msg":"x"})").ok());
}

TEST(IpmiParseCapmcOutput, NonNumbersAreSkipped) {
  auto r = parse_capmc_output(R"({"avg":"5942","min":null,"max":[1],"current":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(IpmiParseCapmcOutput, MalformedJson) {
  for (std::string_view in : {"", "{", "garbage", "[1,2]", "42", "{\"avg\":1e400}", "{\"avg\":5} trailing",
                              "Warning: stderr noise\n{\"avg\":5}"}) {
    auto r = parse_capmc_output(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().message(), "capmc Power readings command failed") << in;
  }
}

TEST(IpmiParseCapmcOutput, NullDocumentHasNoReadings) {
  auto r = parse_capmc_output("null");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(IpmiIsCapmcProgram, UsesTheBasenameOfTheFirstWordOnly) {
  EXPECT_TRUE(is_capmc_program("capmc"));
  EXPECT_TRUE(is_capmc_program("/opt/cray/bin/capmc"));
  EXPECT_FALSE(is_capmc_program("sudo"));
  EXPECT_FALSE(is_capmc_program("capmc-wrapper"));
  EXPECT_FALSE(is_capmc_program(""));
}

TEST(IpmiParsePowerOutput, Dispatches) {
  expect_readings(parse_power_output("/usr/bin/capmc", kCapmc), 5942, 5748, 6132, 5942);
  expect_readings(parse_power_output("ipmitool", kIpmitool), 2578, 2118, 4294, 2567);
  EXPECT_FALSE(parse_power_output("sudo", kCapmc).ok());
}

}  // namespace
}  // namespace ceems::ipmi
