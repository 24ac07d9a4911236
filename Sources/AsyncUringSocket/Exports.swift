// What the public API names, usable with `import AsyncUringSocket` alone: `Ring`,
// `RingGroup`, `RingConfiguration`, `ReceivedBytes` and `runOffRing(_:)` from the runtime,
// the `Errno` of every ``SocketError`` and the `FilePermissions` of a Unix socket file.
@_exported import AsyncUring
@_exported import struct SystemPackage.Errno
@_exported import struct SystemPackage.FilePermissions
