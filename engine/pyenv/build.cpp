#include "pyenv/build.hpp"

#include "probe/host.hpp"
#include "source/archive.hpp"
#include "source/fetch.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

namespace gpucfg::pyenv {

namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out.good() && ::chmod(path.c_str(), mode) == 0;
}

// RECORD's hash form: sha256=<urlsafe base64, unpadded>.
std::string record_hash(const std::string& data) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string hex = util::sha256_hex(data), raw, out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size()) n |= static_cast<unsigned char>(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) n |= static_cast<unsigned char>(raw[i + 2]);
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    if (i + 1 < raw.size()) out += k[(n >> 6) & 63];
    if (i + 2 < raw.size()) out += k[n & 63];
  }
  return "sha256=" + out;
}

// The path column of a RECORD row (quoted when it holds a comma).
std::string record_path(const std::string& row) {
  if (!row.empty() && row[0] == '"') return row.substr(1, row.find('"', 1) - 1);
  return row.substr(0, row.find(','));
}

// One installed wheel's finishing touches, as pip makes them: `#!python` scripts pointed at the
// environment's interpreter, launchers for its entry points, INSTALLER, and a RECORD that lists
// where the files really went (so `pip uninstall` and `pip show -f` work in the environment).
std::string finish_wheel(const std::string& dir, const std::string& site,
                         const source::Artifact& wheel) {
  auto parts = util::split(wheel.file, '-');
  std::string info = site + "/" + parts[0] + "-" + parts[1] + ".dist-info";
  if (!fs::is_directory(dir + "/" + info)) return wheel.file + ": no " + info + " inside";
  std::string python = dir + "/bin/python";
  std::string up = "../../../"; // site-packages is lib/pythonX.Y/site-packages
  std::string record;
  for (const auto& row : util::split(slurp(dir + "/" + info + "/RECORD"), '\n')) {
    if (util::trim(row).empty()) continue;
    std::string path = record_path(row);
    std::string mapped = source::map_python_entry(path, site);
    if (mapped.empty()) continue;
    std::string rest = row.substr(row.find(',', row[0] == '"' ? row.find('"', 1) : 0));
    if (util::starts_with(mapped, "bin/") && path.find(".data/scripts/") != std::string::npos) {
      std::string text = slurp(dir + "/" + mapped);
      if (util::starts_with(text, "#!python")) {
        text = "#!" + python + text.substr(text.find_first_of("\r\n"));
        if (!write_text(dir + "/" + mapped, text, 0755)) return "cannot rewrite " + mapped;
        rest = "," + record_hash(text) + "," + std::to_string(text.size());
      }
    }
    std::string where =
        util::starts_with(mapped, site + "/") ? mapped.substr(site.size() + 1) : up + mapped;
    record += (where.find(',') != std::string::npos ? "\"" + where + "\"" : where) + rest + "\n";
  }
  for (const auto& [name, target] : entry_points(slurp(dir + "/" + info + "/entry_points.txt"))) {
    std::string text = launcher(python, target);
    if (name.find('/') != std::string::npos || !write_text(dir + "/bin/" + name, text, 0755))
      return wheel.file + ": cannot write the script " + name;
    record +=
        up + "bin/" + name + "," + record_hash(text) + "," + std::to_string(text.size()) + "\n";
  }
  const std::string installer = "gpucfg\n";
  if (!write_text(dir + "/" + info + "/INSTALLER", installer, 0644))
    return "cannot write " + info + "/INSTALLER";
  std::string prefix = info.substr(site.size() + 1);
  record += prefix + "/INSTALLER," + record_hash(installer) + "," +
            std::to_string(installer.size()) + "\n" + prefix + "/RECORD,,\n";
  if (!write_text(dir + "/" + info + "/RECORD", record, 0644))
    return "cannot write " + info + "/RECORD";
  return "";
}

} // namespace

std::vector<std::pair<std::string, std::string>> entry_points(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  bool scripts = false;
  for (const auto& raw : util::split(text, '\n')) {
    std::string line = util::trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      scripts = line == "[console_scripts]" || line == "[gui_scripts]";
      continue;
    }
    auto eq = line.find('=');
    if (!scripts || eq == std::string::npos) continue;
    std::string target = util::trim(line.substr(eq + 1));
    target = util::trim(target.substr(0, target.find('['))); // extras do not change the call
    out.emplace_back(util::trim(line.substr(0, eq)), target);
  }
  return out;
}

std::string launcher(const std::string& python, const std::string& target) {
  auto colon = target.find(':');
  std::string module = target.substr(0, colon);
  std::string attr = colon == std::string::npos ? "" : target.substr(colon + 1);
  std::string head = attr.substr(0, attr.find('.'));
  return "#!" + python + "\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom " + module +
         " import " + head + "\nif __name__ == \"__main__\":\n" +
         "    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n" +
         "    sys.exit(" + attr + "())\n";
}

std::string build(const std::string& dir, const std::string& python,
                  const std::vector<source::Artifact>& wheels, const std::string& marker,
                  const BuildOptions& o) {
  auto spec = nlohmann::json::parse(marker, nullptr, false);
  if (spec.is_discarded()) return "the environment's description is not JSON";
  std::string site = spec.value("site_packages", "");
  auto host = probe::make_local_host("/");
  // The interpreter's own venv module: pyvenv.cfg, the bin/python links and the folders are
  // exactly what that Python expects. No pip inside: the environment is built from the lock.
  auto r = host->run({python, "-m", "venv", "--without-pip", dir}, o.timeout);
  if (r.exit_code != 0)
    return python + " -m venv failed (exit " + std::to_string(r.exit_code) +
           "): " + util::trim(r.output).substr(0, 600);
  if (!fs::is_directory(dir + "/" + site))
    return python + " made no " + site + " in " + dir + "; is it the Python the lock is for?";

  std::vector<source::ExtractJob> jobs;
  for (const auto& w : wheels) {
    std::string file = source::locate(w, o.cache_dir);
    if (file.empty()) return w.name + ": not on this computer (run `gpucfg fetch` first)";
    source::ExtractOptions eo = source::extract_options(w);
    eo.layout = source::Layout::python;
    eo.site_packages = site;
    jobs.push_back({file, eo});
  }
  for (const auto& res : source::extract_many(jobs, dir, o.jobs))
    if (!res.error.empty()) return res.error;
  for (const auto& w : wheels)
    if (std::string err = finish_wheel(dir, site, w); !err.empty()) return err;

  // Bytecode, as pip writes it, on every core. A file that does not compile (a module kept for
  // another Python version) is left as source, as pip leaves it, so the exit status is not used.
  std::string bin = dir + "/bin/python";
  host->run({bin, "-m", "compileall", "-q", "-j", "0", dir + "/" + site}, o.timeout);

  // The import check, isolated (-I) from the caller's PYTHONPATH and user site-packages, so it
  // proves this environment and nothing beside it.
  std::string code;
  for (const auto& m : spec.value("imports", std::vector<std::string>{}))
    code += "import " + m + "\n";
  if (!code.empty()) {
    auto imp = host->run({bin, "-I", "-c", code}, o.timeout);
    if (imp.exit_code != 0)
      return "the new environment cannot import what the manifest names (exit " +
             std::to_string(imp.exit_code) + "): " +
             util::trim(imp.output)
                 .substr(util::trim(imp.output).size() > 800 ? util::trim(imp.output).size() - 800
                                                             : 0);
  }
  if (!write_text(dir + "/gpucfg-env.json", marker, 0644))
    return "cannot write " + dir + "/gpucfg-env.json";
  return "";
}

} // namespace gpucfg::pyenv
