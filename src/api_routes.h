// The control API's routes (SPEC 10), as Toxiproxy 2.x has them: which
// method and path reach which operation, 403 for a browser's User-Agent,
// 404 for an unknown path and 405 for a known path with a wrong method. The
// operations themselves are the session's (ApiControl).
#pragma once

#include <string>

#include "api_http.h"
#include "api_server.h"

namespace jinx {

class ApiControl {
 public:
  virtual ApiResponse list_proxies() = 0;
  virtual ApiResponse create_proxy(const std::string& body) = 0;
  virtual ApiResponse populate(const std::string& body) = 0;
  virtual ApiResponse show_proxy(const std::string& proxy) = 0;
  virtual ApiResponse update_proxy(const std::string& proxy, const std::string& body) = 0;
  virtual ApiResponse delete_proxy(const std::string& proxy) = 0;
  virtual ApiResponse list_toxics(const std::string& proxy) = 0;
  virtual ApiResponse create_toxic(const std::string& proxy, const std::string& body) = 0;
  virtual ApiResponse show_toxic(const std::string& proxy, const std::string& toxic) = 0;
  virtual ApiResponse update_toxic(const std::string& proxy, const std::string& toxic,
                                   const std::string& body) = 0;
  virtual ApiResponse delete_toxic(const std::string& proxy, const std::string& toxic) = 0;
  virtual ApiResponse reset() = 0;
  virtual ApiResponse version() = 0;
  virtual ApiResponse metrics() = 0;

 protected:
  ~ApiControl() = default;
};

class ApiRoutes final : public ApiHandler {
 public:
  explicit ApiRoutes(ApiControl& control) : control_(control) {}
  ApiResponse handle(const ApiRequest& request) override;

 private:
  ApiControl& control_;
};

// "%41b" -> "Ab"; false when an escape is malformed.
bool api_percent_decode(const std::string& in, std::string* out);

}  // namespace jinx
