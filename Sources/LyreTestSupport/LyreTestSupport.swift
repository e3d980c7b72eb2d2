// LyreTestSupport
