"""Share links (分享链接) attributing purchases to creators; tracked link-outs to other channels, signed postbacks."""
