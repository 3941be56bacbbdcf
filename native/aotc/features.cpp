// The full set of target features a TargetMachine's code may use: its CPU's implied features
// plus the explicit ones. The C API only returns the string it was given, so this one query
// uses the C++ API. The artifact records this list; the loader checks it against the CPU.
#include <llvm-c/TargetMachine.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Target/TargetMachine.h>

#include <cstdlib>
#include <cstring>
#include <string>

extern "C" char *lw_aotc_effective_features(LLVMTargetMachineRef machine) {
  auto *tm = reinterpret_cast<llvm::TargetMachine *>(machine);
  const llvm::MCSubtargetInfo *sti = tm->getMCSubtargetInfo();
  std::string out;
  for (const llvm::SubtargetFeatureKV &kv : sti->getAllProcessorFeatures()) {
    if (!sti->getFeatureBits()[kv.Value]) continue;
    if (!out.empty()) out += ',';
    out += '+';
    out += kv.Key;
  }
  return strdup(out.c_str());
}
