"""The affiliate alliance (好物联盟): creators selling other merchants' goods for a commission."""
