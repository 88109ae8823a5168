// Empty: exists so CMake has a translation unit to build the torch PCH from.
