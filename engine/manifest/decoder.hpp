// Internal to decode*.cpp: the decoder's state and its typed field readers.
#pragma once

#include "manifest/decode.hpp"
#include "manifest/scope.hpp"
#include "yaml/fields.hpp"

namespace gpucfg::manifest {

using yaml::Fields;

class Decoder {
public:
  Decoder(const platform::Platform& p, util::Diagnostics& d) : m_platform(p), m_diags(d) {}

  std::optional<Stack> run(const Loaded& loaded);

  // Typed readers: each expands variables, reports a positioned error and returns nullopt on
  // a bad value. `what` names the field in messages ("cuda.version").
  std::optional<Located<std::string>> text(const Value* v, const std::string& what);
  std::optional<Located<std::string>> path(const Value* v, const std::string& what);
  std::optional<Located<util::Version>> version(const Value* v, const std::string& what);
  std::optional<Located<util::VersionRange>> range(const Value* v, const std::string& what);
  std::vector<Located<std::string>> paths(const Value* v, const std::string& what);
  // Does a `when:` mapping hold for the target platform? Absent means yes.
  bool when(const Value* v);

private:
  void top(Fields& f, Stack& s);
  void vars(const Value* v, Stack& s);
  void requirements(const Value* v, Stack& s);
  void cuda(const Value* v, Stack& s);
  void cudnn(const Value* v, Stack& s);
  std::optional<Source> source(const Value* v, const std::string& what);
  std::optional<Source> one_source(const Value& v, const std::string& what);
  void install(const Value& v, Python& py);
  void files(const Value* v, Stack& s);
  void env(const Value* v, Stack& s);
  void loader(const Value* v, Stack& s);
  void packages(const Value* v, Stack& s);
  void verify(const Value* v, Stack& s);
  void python(const Value* v, Stack& s);
  void framework(const Value* v, Stack& s);
  void define_builtins(const Stack& s);

  const platform::Platform& m_platform;
  util::Diagnostics& m_diags;
  Scope m_scope;
};

} // namespace gpucfg::manifest
