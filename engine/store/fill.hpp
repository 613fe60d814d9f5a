// How store trees are made (the `fill` of Store::add_tree): from archives, and from a folder.
#pragma once

#include "source/artifact.hpp"
#include "store/key.hpp"
#include "store/store.hpp"

#include <string>
#include <vector>

namespace gpucfg::store {

// Unpacks a tree's archives into a fresh folder. ArchiveUnpacker is libarchive on this
// computer's disk; tests give the executor one that writes through a FakeDisk.
class Unpacker {
public:
  virtual ~Unpacker() = default;
  // Every archive into `dir` (pins checked while they are read), then the links a toolkit
  // expects and the `version_json` an index gave; the files' hashes, taken as their bytes were
  // written, in *files. What failed, or "".
  virtual Status unpack(const std::vector<source::Artifact>& archives,
                        const std::string& version_json, const std::string& target_arch,
                        const std::string& dir, TreeManifest* files) = 0;
};

class ArchiveUnpacker : public Unpacker {
public:
  // `jobs`: archives (and shards of a big zip) unpacked at once; 0: one per core.
  ArchiveUnpacker(const Store& store, unsigned jobs) : m_store(store), m_jobs(jobs) {}
  Status unpack(const std::vector<source::Artifact>& archives, const std::string& version_json,
                const std::string& target_arch, const std::string& dir,
                TreeManifest* files) override;

private:
  const Store& m_store;
  unsigned m_jobs;
};

// Copies the source folder `from` into `dir` through the disk: files, links (as links) and
// folders, each file's mode the installed one (source::installed_mode: the one mode policy for
// every source) and its mtime kept. The folder is listed again first: if it no longer matches
// `key` (it changed since the plan named it), nothing is copied and the error says so.
Status copy_folder(disk::Disk& d, const std::string& from, const std::string& key,
                   const std::string& dir, TreeManifest* files);

// A folder as folder_key lists it.
std::vector<ListedFile> list_folder(const disk::Disk& d, const std::string& dir);

} // namespace gpucfg::store
