#include "core/go/xml.h"

#include <string>

namespace ceems::go {

Status load_xml(pugi::xml_document& doc, std::string_view text) {
  const pugi::xml_parse_result parsed =
      doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (parsed) return Status::Ok();
  return invalid(std::string("not valid XML (") + parsed.description() + " at offset " +
                 std::to_string(parsed.offset) + ")");
}

}  // namespace ceems::go
