#include "core/yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/strings.h"

namespace ceems {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr YamlErrorStyle kPositionFirst{.layout = YamlErrorStyle::Layout::kPositionFirst};

YAML::Node load(std::string_view text) {
  auto r = load_yaml(text, "t.yml");
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : YAML::Node();
}

std::string message(const Status& st) { return st.ok() ? std::string("OK") : st.error().message(); }

template <typename T>
std::string message(const Result<T>& r) {
  return r.ok() ? std::string("OK") : r.error().message();
}

// Every entry's key and path, in the order the walker hands them over.
std::vector<std::string> walk(const YamlWalker& w, const YAML::Node& node, const std::string& path) {
  std::vector<std::string> seen;
  Status st = w.for_each_entry(node, path, [&](const YamlEntry& e) -> Status {
    seen.push_back(e.key + "@" + e.path + "<" + e.mapping);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << message(st);
  return seen;
}

TEST(CoreYamlLoad, SyntaxErrorNamesSourceAndPosition) {
  auto r = load_yaml("a: [1\nb: 2\n", "conf.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("conf.yml: invalid YAML at line "));
}

TEST(CoreYamlWalker, EntriesInFileOrderWithTheirPaths) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("zeta: 1\nalpha:\n  beta: 2\n");
  EXPECT_THAT(walk(w, doc, ""), ElementsAre("zeta@zeta<", "alpha@alpha<"));
  EXPECT_THAT(walk(w, doc["alpha"], "alpha"), ElementsAre("beta@alpha.beta<alpha"));
  EXPECT_THAT(walk(w, load("- {x: 1}\n")[0], "list[0]"), ElementsAre("x@list[0].x<list[0]"));
}

TEST(CoreYamlWalker, NullAndAbsentAreEmptyMappings) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("section:\n");
  EXPECT_TRUE(walk(w, doc["section"], "section").empty());
  EXPECT_TRUE(walk(w, doc["missing"], "missing").empty());
}

TEST(CoreYamlWalker, RejectsWhatIsNotAMappingByItsShape) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("list: [1]\nsecret: hunter2\n");
  auto fn = [](const YamlEntry&) { return Status::Ok(); };
  EXPECT_EQ(message(w.for_each_entry(doc["list"], "list", fn)),
            "t.yml: list: expected a mapping, got a sequence (line 1)");
  // A scalar where a mapping belongs may be a value out of place: not quoted.
  EXPECT_EQ(message(w.for_each_entry(doc["secret"], "secret", fn)),
            "t.yml: secret: expected a mapping, got a scalar (line 2)");
  EXPECT_EQ(message(w.for_each_entry(load("- a\n"), "", fn)),
            "t.yml: (top level): expected a mapping, got a sequence (line 1)");
}

TEST(CoreYamlWalker, RejectsNonStringAndRepeatedKeys) {
  const YamlWalker w("t.yml");
  auto fn = [](const YamlEntry&) { return Status::Ok(); };
  EXPECT_EQ(message(w.for_each_entry(load("a:\n  ? [x]\n  : 1\n")["a"], "a", fn)),
            "t.yml: a: mapping keys must be strings (line 2)");
  EXPECT_EQ(message(w.for_each_entry(load("a: 1\nb: 2\na: 3\n"), "", fn)),
            "t.yml: a: mapping key defined more than once (line 3)");

  const YamlWalker worded("t.yml", {.duplicate_key = "duplicate key"});
  EXPECT_EQ(message(worded.for_each_entry(load("s:\n  k: 1\n  k: 1\n")["s"], "s", fn)),
            "t.yml: s.k: duplicate key (line 3)");
}

TEST(CoreYamlWalker, StopsAtTheFirstFailingEntry) {
  const YamlWalker w("t.yml");
  int calls = 0;
  Status st = w.for_each_entry(load("a: 1\nb: 2\nc: 3\n"), "", [&](const YamlEntry& e) -> Status {
    ++calls;
    if (e.key == "b") return w.error(e.path, e.value, "no b");
    return Status::Ok();
  });
  EXPECT_EQ(message(st), "t.yml: b: no b (line 2)");
  EXPECT_EQ(calls, 2);
}

TEST(CoreYamlWalker, ErrorLayouts) {
  const YAML::Node doc = load("a:\n  b: 1\n");
  EXPECT_EQ(YamlWalker("t.yml").error("a.b", doc["a"]["b"], "bad").message(), "t.yml: a.b: bad (line 2)");
  EXPECT_EQ(YamlWalker("t.yml").error("", doc, "bad").message(), "t.yml: (top level): bad (line 1)");
  EXPECT_EQ(YamlWalker("t.yml").error("a", YAML::Node(), "bad").message(), "t.yml: a: bad");

  const YamlWalker p("invalid config t.yml", kPositionFirst);
  EXPECT_EQ(p.error("a.b", doc["a"]["b"], "bad").message(),
            "invalid config t.yml: line 2, column 6: key a.b: bad");
  EXPECT_EQ(p.error("", doc, "bad").message(), "invalid config t.yml: line 1, column 1: bad");
  EXPECT_EQ(p.error("a", YAML::Node(), "bad").message(), "invalid config t.yml: key a: bad");
  EXPECT_EQ(p.position(doc["a"]["b"]), "line 2, column 6");
  EXPECT_EQ(YamlWalker("t.yml").position(doc["a"]["b"]), "line 2");
  // A lookup under a missing key has no position (and yaml-cpp would throw if asked).
  EXPECT_EQ(p.position(doc["missing"]), "");
}

TEST(CoreYamlWalker, ReadMappingDispatchesKnownKeys) {
  const YamlWalker w("t.yml");
  std::string name;
  bool on = false;
  std::vector<std::string> list;
  Status st = w.read_mapping(load("s:\n  name: x\n  on: yes\n  list: [a, b]\n")["s"], "s",
                             {{"name", w.into(name)}, {"on", w.into(on)}, {"list", w.into(list)}});
  ASSERT_TRUE(st.ok()) << message(st);
  EXPECT_EQ(name, "x");
  EXPECT_TRUE(on);
  EXPECT_THAT(list, ElementsAre("a", "b"));
}

TEST(CoreYamlWalker, UnknownKeyWordings) {
  const YAML::Node doc = load("s:\n  name: x\n  nmae: y\n");
  auto keys = [](std::string& out, const YamlWalker& w) {
    return std::vector<YamlKey>{{"name", w.into(out)}, {"size", w.into(out)}};
  };
  std::string out;

  const YamlWalker w("t.yml");
  EXPECT_EQ(message(w.read_mapping(doc["s"], "s", keys(out, w))),
            "t.yml: s: unknown key \"nmae\" (valid: name, size) (line 3)");
  EXPECT_EQ(message(w.read_mapping(load("x: 1\n"), "", keys(out, w))),
            "t.yml: (top level): unknown key \"x\" (valid: name, size) (line 1)");

  const YamlWalker at_key("t.yml", {.unknown_key_at_key_path = true});
  EXPECT_EQ(message(at_key.read_mapping(doc["s"], "s", keys(out, at_key))),
            "t.yml: s.nmae: unknown key \"nmae\" (valid: name, size) (line 3)");

  const YamlWalker p("t.yml", kPositionFirst);
  EXPECT_EQ(message(p.read_mapping(doc["s"], "s", keys(out, p))),
            "t.yml: line 3, column 3: unknown key \"nmae\" in s (valid keys: name, size)");
  EXPECT_EQ(message(p.read_mapping(load("x: 1\n"), "", keys(out, p))),
            "t.yml: line 1, column 1: unknown key \"x\" (valid keys: name, size)");
}

TEST(CoreYamlWalker, UnknownKeyHandlerDecides) {
  const YamlWalker w("t.yml");
  std::string name;
  std::vector<std::string> ignored;
  const std::vector<YamlKey> keys = {{"name", w.into(name)}};
  auto handler = [&](const YamlEntry& e) -> Status {
    if (e.key == "legacy") {
      ignored.push_back(e.path);
      return Status::Ok();
    }
    return w.unknown_key(e, keys, e.key == "nmae" ? "did you mean name?" : "");
  };
  EXPECT_TRUE(w.read_mapping(load("legacy: 1\nname: x\n"), "", keys, handler).ok());
  EXPECT_THAT(ignored, ElementsAre("legacy"));
  EXPECT_EQ(name, "x");
  EXPECT_EQ(message(w.read_mapping(load("nmae: x\n"), "", keys, handler)),
            "t.yml: (top level): unknown key \"nmae\" (valid: name); did you mean name? (line 1)");
}

TEST(CoreYamlWalker, KeptEntriesAreReadAfterEveryKeyIsChecked) {
  const YamlWalker w("t.yml");
  std::optional<YamlEntry> section;
  // The section is not even a mapping, but the misspelt key after it is what is reported.
  Status st = w.read_mapping(load("section: 1\nsectoin: 1\n"), "", {{"section", YamlWalker::into(section)}});
  EXPECT_THAT(message(st), HasSubstr("unknown key \"sectoin\""));

  st = w.read_mapping(load("section:\n  a: 1\n"), "", {{"section", YamlWalker::into(section)}});
  ASSERT_TRUE(st.ok()) << message(st);
  ASSERT_TRUE(section.has_value());
  EXPECT_EQ(section->path, "section");
  EXPECT_EQ(section->value["a"].as<int>(), 1);
}

TEST(CoreYamlWalker, StringValues) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("n: 10\nb: true\nq: 'x y'\nempty:\nsecret: [hunter2]\n");
  EXPECT_EQ(*w.string_value(doc["n"], "n"), "10");
  EXPECT_EQ(*w.string_value(doc["b"], "b"), "true");
  EXPECT_EQ(*w.string_value(doc["q"], "q"), "x y");
  EXPECT_EQ(*w.string_value(doc["empty"], "empty"), "");
  EXPECT_EQ(*w.string_value(doc["absent"], "absent"), "");
  auto bad = w.string_value(doc["secret"], "secret");
  EXPECT_EQ(message(bad), "t.yml: secret: expected a string, got a sequence (line 5)");
  EXPECT_THAT(message(bad), Not(HasSubstr("hunter2")));
}

TEST(CoreYamlWalker, StringLists) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("l: [a, 2]\nnone:\none: a\nnested:\n  - a\n  - [hunter2]\nholes: [a, ~]\n");
  EXPECT_THAT(*w.string_list(doc["l"], "l"), ElementsAre("a", "2"));
  EXPECT_TRUE(w.string_list(doc["none"], "none")->empty());
  EXPECT_EQ(message(w.string_list(doc["one"], "one")),
            "t.yml: one: expected a list of strings, got a scalar (line 3)");
  auto nested = w.string_list(doc["nested"], "nested");
  EXPECT_EQ(message(nested), "t.yml: nested[1]: expected a string, got a sequence (line 6)");
  EXPECT_THAT(message(nested), Not(HasSubstr("hunter2")));
  EXPECT_EQ(message(w.string_list(doc["holes"], "holes")),
            "t.yml: holes[1]: expected a string, got null (line 7)");
}

TEST(CoreYamlWalker, BooleanValues) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("a: yes\nb: Off\nc: TRUE\nd:\ne: maybe\nf: {x: 1}\n");
  EXPECT_TRUE(*w.bool_value(doc["a"], "a"));
  EXPECT_FALSE(*w.bool_value(doc["b"], "b"));
  EXPECT_TRUE(*w.bool_value(doc["c"], "c"));
  EXPECT_FALSE(*w.bool_value(doc["d"], "d"));
  EXPECT_EQ(message(w.bool_value(doc["e"], "e")), "t.yml: e: expected a boolean, got \"maybe\" (line 5)");
  EXPECT_EQ(message(w.bool_value(doc["f"], "f")), "t.yml: f: expected a boolean, got a mapping (line 6)");
}

TEST(CoreYamlWalker, ScalarValuesWithTheCallersRules) {
  const YamlWalker w("t.yml", kPositionFirst);
  // An integer that must be written plain: a quoted number is text.
  auto plain_int = [](const YAML::Node& n) -> std::optional<int64_t> {
    if (n.Tag() != "?") return std::nullopt;
    return parse_i64(n.Scalar());
  };
  const YAML::Node doc = load("port: 443\nquoted: '443'\nword: many\nnone:\nlist: [1]\n");
  EXPECT_EQ(*w.scalar_value<int64_t>(doc["port"], "port", "an integer", plain_int), 443);
  EXPECT_EQ(*w.scalar_value<int64_t>(doc["none"], "none", "an integer", plain_int), 0);
  EXPECT_EQ(message(w.scalar_value<int64_t>(doc["quoted"], "quoted", "an integer", plain_int)),
            "t.yml: line 2, column 9: key quoted: expected an integer, got \"443\"");
  EXPECT_EQ(message(w.scalar_value<int64_t>(doc["word"], "word", "an integer", plain_int)),
            "t.yml: line 3, column 7: key word: expected an integer, got \"many\"");
  EXPECT_EQ(message(w.scalar_value<int64_t>(doc["list"], "list", "an integer", plain_int)),
            "t.yml: line 5, column 7: key list: expected an integer, got a sequence");
}

TEST(CoreYamlWalker, DurationValues) {
  const YamlWalker w("t.yml");
  const YAML::Node doc = load("a: 5s\nb: '1m30s'\nc:\nd: five\ne: [1s]\nf: ' 250ms '\n");
  EXPECT_EQ(**w.duration_value(doc["a"], "a"), std::chrono::seconds(5));
  EXPECT_EQ(**w.duration_value(doc["b"], "b"), std::chrono::seconds(90));
  EXPECT_FALSE(w.duration_value(doc["c"], "c")->has_value());
  EXPECT_EQ(**w.duration_value(doc["f"], "f"), std::chrono::milliseconds(250));
  EXPECT_THAT(message(w.duration_value(doc["d"], "d")),
              HasSubstr("t.yml: d: expected a duration such as 5s: invalid duration \"five\""));
  EXPECT_EQ(message(w.duration_value(doc["e"], "e")),
            "t.yml: e: expected a duration such as 5s, got a sequence (line 5)");
}

TEST(CoreYamlWalker, NodeKinds) {
  const YAML::Node doc = load("m: {}\ns: []\nv: 1\nn:\n");
  EXPECT_EQ(yaml_node_kind(doc["m"]), "a mapping");
  EXPECT_EQ(yaml_node_kind(doc["s"]), "a sequence");
  EXPECT_EQ(yaml_node_kind(doc["v"]), "a scalar");
  EXPECT_EQ(yaml_node_kind(doc["n"]), "null");
  EXPECT_EQ(yaml_node_kind(doc["absent"]), "nothing");
}

}  // namespace
}  // namespace ceems
