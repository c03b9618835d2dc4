"""Short videos (短视频): upload, the video cart, plays, likes, comments."""
