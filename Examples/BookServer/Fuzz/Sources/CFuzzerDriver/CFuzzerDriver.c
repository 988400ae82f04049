// Empty: the declaration in include/ is the module; libFuzzer defines the function.
