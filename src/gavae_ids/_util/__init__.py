"""Private helpers any layer may use: documents, hashing, progress bars, torch devices and
local randomness, input validation, model files (safetensors + JSON)."""
