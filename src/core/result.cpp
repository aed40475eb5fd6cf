#include "core/result.h"

#include <cstring>

namespace ceems {

Error Error::from_errno(int err, const std::string& context) {
  ErrorKind kind = ErrorKind::kIo;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      kind = ErrorKind::kNotFound;
      break;
    case EACCES:
    case EPERM:
      kind = ErrorKind::kPermissionDenied;
      break;
    case ETIMEDOUT:
      kind = ErrorKind::kTimeout;
      break;
    default:
      break;
  }
  return {kind, context + ": " + std::strerror(err)};
}

}  // namespace ceems
