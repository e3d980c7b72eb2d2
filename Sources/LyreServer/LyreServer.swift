// LyreServer
