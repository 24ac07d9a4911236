// Every shim lives in include/CLiburing.h as a constant; this file exists because SwiftPM
// needs at least one source file in a C target.
