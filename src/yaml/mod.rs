//! YAML as Go's sigs.k8s.io/yaml + yaml.v2 read and write it (the way Helm does).
