#include "manifest/validate.hpp"

#include "platform/platform.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <set>

namespace gpucfg::manifest {
namespace {

using knowledge::SourceRef;
using util::Version;

class Checker {
public:
  Checker(const Stack& s, const knowledge::Knowledge& kb, util::Diagnostics& d)
      : m_s(s), m_kb(kb), m_diags(d), m_os(s.platform->os_name()) {}

  void run() {
    platform_support();
    driver();
    compute_capability();
    cudnn();
    framework();
    host_compiler();
    files();
    sources();
  }

private:
  // An error backed by a knowledge row; a warning when that row is unconfirmed.
  void finding(const util::Mark& at, const std::string& msg, const SourceRef& src,
               bool error = true) {
    std::vector<std::string> notes = {"source: " + src.cite()};
    if (error && !src.unconfirmed())
      m_diags.error(at, msg, notes);
    else
      m_diags.warning(at, msg, notes);
  }

  void platform_support() {
    const auto& declared = m_s.requires_.platforms;
    const std::string& id = m_s.platform->id();
    if (m_s.framework)
      if (auto* rule = m_kb.platform_rule(m_s.framework->name, m_s.framework->version, id);
          rule && !rule->supported) {
        finding(m_s.framework->mark,
                m_s.framework->name + " " + m_s.framework->version.str() + " is not supported on " +
                    id + ": " + rule->why,
                rule->source);
        return;
      }
    if (declared.empty()) return;
    bool listed =
        std::any_of(declared.begin(), declared.end(), [&](const auto& p) { return p.value == id; });
    if (!listed) {
      std::vector<std::string> ids;
      for (const auto& p : declared)
        ids.push_back(p.value);
      m_diags.error(declared.front().mark, "'" + m_s.metadata.name + "' supports " +
                                               util::join(ids, ", ") + " only, not " + id);
    }
  }

  // The CUDA the driver must run: the toolkit's, else the one a framework build bundles.
  const Located<Version>* runtime_cuda() const {
    if (m_s.cuda) return &m_s.cuda->version;
    if (m_s.framework && m_s.framework->cuda) return &*m_s.framework->cuda;
    return nullptr;
  }

  void driver() {
    const Located<Version>* rt = runtime_cuda();
    if (!rt) return;
    const Version& cuda = rt->value;
    const auto* row = m_kb.toolkit_driver(cuda);
    const auto* compat = m_kb.minor_compat(cuda.major());
    auto req = std::find_if(m_s.requires_.driver.begin(), m_s.requires_.driver.end(),
                            [&](const auto& d) { return d.os == m_os; });
    if (!row) {
      m_diags.warning(
          rt->mark, "CUDA " + cuda.str() +
                        " is not in knowledge/cuda-driver.yaml; its driver minimum is not checked");
      return;
    }
    const auto& toolkit_min = row->for_os(m_os);
    if (req == m_s.requires_.driver.end()) {
      if (toolkit_min)
        m_diags.warning(rt->mark, "no requires.driver for " + m_os + "; CUDA " + row->label +
                                      " needs >=" + toolkit_min->str() + " there");
      return;
    }
    auto lb = req->range.lower_bound();
    if (!lb) {
      m_diags.warning(req->mark, "requires.driver." + m_os + " sets no minimum");
      return;
    }
    auto floor = compat ? (m_os == "windows" ? compat->windows : compat->linux) : std::nullopt;
    // A release that shipped below its major's floor (CUDA 11.0) runs on its own driver.
    if (floor && toolkit_min && *toolkit_min < *floor) floor = toolkit_min;
    if (floor && *lb < *floor) {
      finding(req->mark,
              "driver " + lb->str() + " cannot run CUDA " + cuda.str() + " at all: CUDA " +
                  std::to_string(cuda.major()) + ".x needs >=" + floor->str() + " on " + m_os,
              compat->source);
    } else if (toolkit_min && *lb < *toolkit_min) {
      // A framework that bundles its runtime (PyTorch's wheels) is meant to start at its major's
      // floor; plan warns on a machine between the two, where the difference matters.
      if (floor && !m_s.cuda) return;
      if (floor)
        finding(req->mark,
                "driver " + lb->str() + " is below CUDA " + row->label + "'s " +
                    toolkit_min->str() + " on " + m_os +
                    "; it runs only through minor-version compatibility (no PTX JIT of newer code)",
                row->source, false);
      else
        finding(req->mark,
                "driver " + lb->str() + " is below CUDA " + row->label + "'s minimum " +
                    toolkit_min->str() + " on " + m_os +
                    " (no minor-version compatibility before CUDA 11)",
                row->source);
    }
  }

  void compute_capability() {
    if (!m_s.cuda || !m_s.requires_.compute_capability) return;
    const auto& cc = *m_s.requires_.compute_capability;
    const Version& cuda = m_s.cuda->version.value;
    // Archs newer than the toolkit still run the framework's PTX through JIT; archs the toolkit
    // dropped cannot run its code at all.
    std::vector<std::string> dropped;
    const SourceRef* src = nullptr;
    bool any_ok = false;
    for (const auto& a : m_kb.archs()) {
      if (!cc.value.contains(a.sm) || a.renamed_to) continue;
      if (a.removed && cuda.truncated(2) >= *a.removed) {
        dropped.push_back("sm_" + std::to_string(a.sm.major()) + std::to_string(a.sm.minor()) +
                          " (removed in CUDA " + a.removed->str() + ")");
        src = &a.source;
      } else {
        any_ok = true;
      }
    }
    if (dropped.empty()) return;
    std::string msg = "compute_capability " + cc.value.str() + " admits GPUs CUDA " + cuda.str() +
                      " cannot target: " + util::join(dropped, ", ");
    finding(cc.mark, msg, *src, !any_ok);
  }

  void cudnn() {
    if (!m_s.cudnn) return;
    const auto& c = *m_s.cudnn;
    std::optional<Version> target;
    util::Mark at = c.mark;
    if (c.cuda) {
      target = c.cuda->value;
      at = c.cuda->mark;
      if (m_s.cuda && m_s.cuda->version.value.major() != target->major())
        m_diags.error(at, "cuDNN built for CUDA " + target->str() + " does not work with CUDA " +
                              m_s.cuda->version.value.str() + " (different major)");
    } else if (m_s.cuda) {
      target = m_s.cuda->version.value;
    }
    auto rows = m_kb.cudnn(c.version.value);
    if (rows.empty()) {
      m_diags.warning(c.version.mark,
                      "cuDNN " + c.version.value.str() +
                          " is not in knowledge/cudnn.yaml; its CUDA builds are not checked");
      return;
    }
    if (!target) return;
    std::set<std::string> builds;
    for (const auto* r : rows)
      for (const auto& b : r->builds) {
        builds.insert(b.str());
        if (b.major() == target->major()) return;
      }
    std::vector<std::string> list(builds.begin(), builds.end());
    finding(at,
            "cuDNN " + c.version.value.str() + " has no build for CUDA " +
                std::to_string(target->major()) + ".x (builds: " + util::join(list, ", ") + ")",
            rows.front()->source);
  }

  void framework() {
    if (!m_s.framework) return;
    const auto& fw = *m_s.framework;
    if (fw.name == "tensorflow") tensorflow(fw);
    if (fw.name == "pytorch") pytorch(fw);
  }

  void tensorflow(const Framework& fw) {
    if (m_kb.platform_rule(fw.name, fw.version, m_s.platform->id())) return; // reported already
    const auto* row = m_kb.tensorflow(fw.version, m_os);
    if (!row) {
      m_diags.warning(fw.mark, "TensorFlow " + fw.version.str() +
                                   " has no tested GPU configuration for " + m_os +
                                   " in knowledge/frameworks.yaml");
      return;
    }
    if (m_s.cuda)
      compare("CUDA", m_s.cuda->version, row->cuda, "TensorFlow " + row->version.str(),
              row->source);
    if (m_s.cudnn)
      compare("cuDNN", m_s.cudnn->version, row->cudnn, "TensorFlow " + row->version.str(),
              row->source);
  }

  // Same major and at least the built minor: TF refuses an older cuDNN minor at run time
  // ("Loaded runtime CuDNN library: X but source was compiled with: Y").
  void compare(const std::string& what, const Located<Version>& have, const Version& built,
               const std::string& who, const SourceRef& src) {
    Version h = have.value.truncated(2), b = built.truncated(2);
    if (h.major() != b.major() || h < b)
      finding(have.mark,
              who + " was built with " + what + " " + b.str() + "; " + what + " " +
                  have.value.str() + " cannot serve it",
              src);
    else if (h != b)
      finding(have.mark,
              who + " was tested with " + what + " " + b.str() + ", not " + have.value.str(), src,
              false);
  }

  void pytorch(const Framework& fw) {
    const auto* rel = m_kb.pytorch(fw.version);
    if (!rel) {
      m_diags.warning(fw.mark,
                      "PyTorch " + fw.version.str() + " is not in knowledge/frameworks.yaml");
      return;
    }
    const Located<Version>* rt = runtime_cuda();
    if (!rt) return;
    Version want = rt->value.truncated(2);
    for (const auto& v : rel->variants)
      if (v.cuda.truncated(2) == want) {
        if (m_s.cudnn && m_s.cudnn->version.value.truncated(2) != v.cudnn.truncated(2))
          finding(m_s.cudnn->version.mark,
                  "PyTorch " + rel->version.str() + "+cu" + want.str() + " bundles cuDNN " +
                      v.cudnn.str() + ", not " + m_s.cudnn->version.value.str(),
                  rel->source, false);
        return;
      }
    std::vector<std::string> offered;
    for (const auto& v : rel->variants)
      offered.push_back(v.cuda.str());
    finding(rt->mark,
            "PyTorch " + rel->version.str() + " has no CUDA " + want.str() +
                " build (offered: " + util::join(offered, ", ") + ")",
            rel->source);
  }

  void host_compiler() {
    if (!m_s.cuda) return;
    const auto* row = m_kb.host_compilers(m_s.cuda->version.value);
    if (!row) return;
    for (const auto& hc : m_s.requires_.host_compiler) {
      if (hc.os != m_os) continue;
      const util::VersionRange* known = hc.compiler == "gcc"    ? &row->gcc
                                        : hc.compiler == "msvc" ? &row->msvc
                                                                : nullptr;
      if (!known) continue;
      for (const auto& c : hc.range.clauses())
        if ((c.op == util::VersionRange::Op::le || c.op == util::VersionRange::Op::eq) &&
            !known->contains(c.bound))
          finding(hc.mark,
                  hc.compiler + " " + c.bound.str() + " is outside what nvcc " +
                      m_s.cuda->version.value.str() + " accepts (" + known->str() + ")",
                  row->source);
    }
  }

  void files() {
    std::set<std::string> seen;
    for (const auto& f : m_s.files)
      if (!seen.insert(f.path.value).second)
        m_diags.error(f.path.mark, "'" + f.path.value + "' is managed by two files entries");
  }

  void sources() {
    auto check = [&](const std::optional<Source>& src) {
      if (!src) return;
      for (const auto& a : src->artifacts)
        if (a.sha256.empty() && src->kind != Source::Kind::directory &&
            src->kind != Source::Kind::redistrib)
          m_diags.warning(
              a.mark, "'" + a.location +
                          "' is not pinned by a sha256; apply refuses it without --allow-unpinned");
    };
    if (m_s.cuda) check(m_s.cuda->source);
    if (m_s.cudnn) check(m_s.cudnn->source);
  }

  const Stack& m_s;
  const knowledge::Knowledge& m_kb;
  util::Diagnostics& m_diags;
  std::string m_os;
};

} // namespace

void validate(const Stack& stack, const knowledge::Knowledge& kb, util::Diagnostics& diags) {
  Checker(stack, kb, diags).run();
}

} // namespace gpucfg::manifest
