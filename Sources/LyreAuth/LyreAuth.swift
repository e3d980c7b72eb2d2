// LyreAuth
