// XML as the Go original reads the tools' documents (encoding/xml): the bytes are
// taken as UTF-8 whatever the declaration says, and the declaration and DOCTYPE are
// not validated.
#pragma once

#include <pugixml.hpp>
#include <string_view>

#include "core/result.h"

namespace ceems::go {

// Loads text into doc; the error reads "not valid XML (<what> at offset <n>)".
Status load_xml(pugi::xml_document& doc, std::string_view text);

}  // namespace ceems::go
