#include "manifest/render.hpp"

#include "platform/platform.hpp"

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/emittermanip.h>

namespace gpucfg::manifest {
namespace {

using json = nlohmann::ordered_json;

// Builds the JSON tree and records where each leaf came from.
class Builder {
public:
  explicit Builder(Rendered& r) : m_r(r) {}

  template <class T>
  void put(json& at, const std::string& ptr, const T& value, const util::Mark& m) {
    at = value;
    if (m.line > 0) m_r.origins[ptr] = m.str();
  }
  void loc(json& at, const std::string& ptr, const Located<std::string>& v) {
    put(at, ptr, v.value, v.mark);
    // A default or an addition was written nowhere: say what it follows from.
    if (v.derived && v.mark.line > 0) m_r.origins[ptr] = "derived from " + v.mark.str();
  }

private:
  Rendered& m_r;
};

json source_json(const Source& src) {
  json j;
  j["kind"] = to_string(src.kind);
  for (const auto& a : src.artifacts) {
    json aj = {{"location", a.location}};
    if (!a.sha256.empty()) aj["sha256"] = a.sha256;
    j["artifacts"].push_back(aj);
  }
  if (!src.mirrors.empty()) j["mirrors"] = src.mirrors;
  return j;
}

} // namespace

Rendered resolve_for_show(const Stack& s) {
  Rendered r;
  Builder b(r);
  json& j = r.stack;
  j["apiVersion"] = s.api_version;
  j["kind"] = s.kind;
  j["metadata"]["name"] = s.metadata.name;
  if (!s.metadata.description.empty()) j["metadata"]["description"] = s.metadata.description;
  if (!s.metadata.source.empty()) j["metadata"]["source"] = s.metadata.source;
  j["platform"] = s.platform->id();
  j["files_read"] = s.files_read;
  if (s.framework) {
    b.put(j["framework"]["name"], "/framework/name", s.framework->name, s.framework->name_mark);
    b.put(j["framework"]["version"], "/framework/version", s.framework->version.str(),
          s.framework->version_mark);
    if (s.framework->cuda)
      b.put(j["framework"]["cuda"], "/framework/cuda", s.framework->cuda->value.str(),
            s.framework->cuda->mark);
  }
  const Requires& rq = s.requires_;
  for (const auto& d : rq.driver)
    b.put(j["requires"]["driver"][d.os], "/requires/driver/" + d.os, d.range.str(), d.mark);
  if (rq.compute_capability)
    b.put(j["requires"]["compute_capability"], "/requires/compute_capability",
          rq.compute_capability->value.str(), rq.compute_capability->mark);
  if (rq.python)
    b.put(j["requires"]["python"], "/requires/python", rq.python->value.str(), rq.python->mark);
  for (std::size_t i = 0; i < rq.platforms.size(); ++i)
    b.loc(j["requires"]["platforms"][i], "/requires/platforms/" + std::to_string(i),
          rq.platforms[i]);
  for (const auto& hc : rq.host_compiler)
    b.put(j["requires"]["host_compiler"][hc.os][hc.compiler],
          "/requires/host_compiler/" + hc.os + "/" + hc.compiler, hc.range.str(), hc.mark);
  if (s.cuda) {
    const Cuda& c = *s.cuda;
    b.put(j["cuda"]["version"], "/cuda/version", c.version.value.str(), c.version.mark);
    b.loc(j["cuda"]["prefix"], "/cuda/prefix", c.prefix);
    for (std::size_t i = 0; i < c.components.size(); ++i)
      b.loc(j["cuda"]["components"][i], "/cuda/components/" + std::to_string(i), c.components[i]);
    if (c.source)
      b.put(j["cuda"]["source"], "/cuda/source", source_json(*c.source), c.source->mark);
    j["cuda"]["active"] = c.active;
  }
  if (s.cudnn) {
    const Cudnn& c = *s.cudnn;
    b.put(j["cudnn"]["version"], "/cudnn/version", c.version.value.str(), c.version.mark);
    if (c.cuda) b.put(j["cudnn"]["cuda"], "/cudnn/cuda", c.cuda->value.str(), c.cuda->mark);
    j["cudnn"]["placement"] = c.into_cuda ? "into-cuda" : "own-prefix";
    b.loc(j["cudnn"]["prefix"], "/cudnn/prefix", c.prefix);
    for (std::size_t i = 0; i < c.place.size(); ++i) {
      std::string p = "/cudnn/place/" + std::to_string(i);
      b.put(j["cudnn"]["place"][i]["from"], p + "/from", c.place[i].from, c.place[i].from_mark);
      b.loc(j["cudnn"]["place"][i]["to"], p + "/to", c.place[i].to);
    }
    if (c.source)
      b.put(j["cudnn"]["source"], "/cudnn/source", source_json(*c.source), c.source->mark);
  }
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    const FileEntry& f = s.files[i];
    std::string p = "/files/" + std::to_string(i);
    json& fj = j["files"][i];
    b.put(fj[to_string(f.op)], p + "/" + to_string(f.op), f.path.value, f.path.mark);
    if (!f.source.value.empty())
      b.loc(fj[f.op == FileEntry::Op::copy ? "from" : "target"],
            p + (f.op == FileEntry::Op::copy ? "/from" : "/target"), f.source);
    if (!f.sha256.empty()) fj["sha256"] = f.sha256;
    if (!f.mode.empty()) fj["mode"] = f.mode;
    if (!f.why.empty()) fj["why"] = f.why;
  }
  for (const auto& e : s.env) {
    std::string p = "/env/" + e.name;
    json& ej = j["env"][e.name];
    if (e.set) b.loc(ej["set"], p + "/set", *e.set);
    if (e.unset) ej["unset"] = true;
    for (auto [name, list] :
         {std::pair{"prepend", &e.prepend}, {"append", &e.append}, {"remove", &e.remove}})
      for (std::size_t i = 0; i < list->size(); ++i)
        b.loc(ej[name][i], p + "/" + name + "/" + std::to_string(i), (*list)[i]);
    ej["scope"] = e.scope;
  }
  for (std::size_t i = 0; i < s.loader_paths.size(); ++i)
    b.loc(j["loader"]["paths"][i], "/loader/paths/" + std::to_string(i), s.loader_paths[i]);
  if (s.python) {
    const Python& py = *s.python;
    json& pj = j["python"];
    b.loc(pj["env"], "/python/env", py.env);
    if (py.interpreter) b.loc(pj["interpreter"], "/python/interpreter", *py.interpreter);
    if (py.install) {
      const PythonInstall& in = *py.install;
      b.put(pj["install"]["version"], "/python/install/version", in.version.value.str(),
            in.version.mark);
      b.loc(pj["install"]["into"], "/python/install/into", in.into);
      pj["install"]["interpreter"] = in.interpreter;
      b.put(pj["install"]["source"], "/python/install/source", source_json(in.source),
            in.source.mark);
    }
    for (std::size_t i = 0; i < py.packages.size(); ++i)
      b.loc(pj["packages"][i], "/python/packages/" + std::to_string(i), py.packages[i]);
    if (!py.index.empty()) pj["index"] = py.index;
    if (!py.imports.empty()) pj["import"] = py.imports;
    pj["activate"] = py.activate;
    if (py.adopt) pj["adopt"] = true;
    for (std::size_t i = 0; i < py.lock.size(); ++i) {
      const LockedWheel& w = py.lock[i];
      json wj = {{w.sdist() ? "sdist" : "wheel", w.wheel}, {"sha256", w.sha256}};
      for (const auto& req : w.build)
        wj["build"].push_back(
            req.url.empty() ? json{{"wheel", req.wheel}, {"sha256", req.sha256}}
                            : json{{"wheel", req.wheel}, {"sha256", req.sha256}, {"url", req.url}});
      if (!w.url.empty()) wj["url"] = w.url;
      if (!w.targets.empty()) wj["for"] = w.targets;
      b.put(pj["lock"][i], "/python/lock/" + std::to_string(i), wj, w.mark); // the entry's line
    }
  }
  for (std::size_t i = 0; i < s.packages.size(); ++i) {
    const Package& pk = s.packages[i];
    std::string p = "/packages/" + std::to_string(i);
    json& kj = j["packages"][i];
    b.loc(kj["name"], p + "/name", pk.name);
    if (pk.version) b.loc(kj["version"], p + "/version", *pk.version);
    if (pk.hold) kj["hold"] = *pk.hold;
    if (pk.absent) kj["absent"] = true;
    if (!pk.why.empty()) kj["why"] = pk.why;
  }
  j["verify"]["level"] = s.verify.level;
  if (s.verify.framework) j["verify"]["framework"] = s.verify.framework->value;
  return r;
}

namespace {

void emit(YAML::Emitter& out, const json& j, const std::string& ptr, const Rendered& r,
          bool origins) {
  auto comment = [&](const std::string& p) {
    if (!origins) return;
    if (auto it = r.origins.find(p); it != r.origins.end()) out << YAML::Comment(it->second);
  };
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      emit(out, v, ptr + "/" + k, r, origins);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (std::size_t i = 0; i < j.size(); ++i)
      emit(out, j[i], ptr + "/" + std::to_string(i), r, origins);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << YAML::DoubleQuoted << j.get<std::string>();
    comment(ptr);
  } else {
    out << j.dump();
    comment(ptr);
  }
}

} // namespace

std::string to_yaml(const Rendered& r, bool with_origins) {
  YAML::Emitter out;
  emit(out, r.stack, "", r, with_origins);
  return std::string(out.c_str()) + "\n";
}

nlohmann::ordered_json to_json(const Rendered& r) {
  return {{"format_version", 1}, {"stack", r.stack}, {"origins", r.origins}};
}

} // namespace gpucfg::manifest
