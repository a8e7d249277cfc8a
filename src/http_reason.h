// The reason phrase of an HTTP status code, for the responses jinx writes
// itself: the control API's and http_error's.
#pragma once

namespace jinx {

// "Not Found" for 404: the phrases of libhttp-parser's table (the IANA
// registry's); for a code it does not know, that of the code's class
// ("Client Error" for 499).
const char* http_reason(unsigned status);

}  // namespace jinx
