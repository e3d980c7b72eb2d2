// LyreSQL
