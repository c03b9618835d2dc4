"""The media plane: nginx-rtmp configured and run by laotie, its publish callbacks."""
