package logconf

// LoadDefault is Load("") with another default path.
func LoadDefault(path string) (*Config, error) { return load(path, false) }
