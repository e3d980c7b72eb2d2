// LyreStorage
