// What the public API names, usable with `import AsyncUringSocket` alone: `Ring`,
// `RingGroup`, `RingConfiguration`, `ReceivedBytes` and `runOffRing(_:)` from the runtime,
// the `Errno` of every ``SocketError``, and for Unix domain sockets `FilePermissions` and the
// `FileDescriptor`s passed over them.
@_exported import AsyncUring
@_exported import struct SystemPackage.Errno
@_exported import struct SystemPackage.FileDescriptor
@_exported import struct SystemPackage.FilePermissions
