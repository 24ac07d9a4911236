// `import AsyncUringHTTP` alone is enough for a server: it brings the sockets and rings
// (`TCPListener`, `RingGroup`, ...) and the swift-http-types values requests and responses
// are made of (`HTTPRequest`, `HTTPResponse`, `HTTPFields`).
@_exported import AsyncUringSocket
@_exported import HTTPTypes
