// libFuzzer's driver, for a main() of our own: SwiftPM names an executable's entry point
// itself, so libFuzzer's main() cannot be the program's (see Scripts/fuzz.sh).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
