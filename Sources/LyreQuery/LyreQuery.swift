// LyreQuery
