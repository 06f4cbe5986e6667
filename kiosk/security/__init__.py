"""Pure security rules: activation keys, password policy, hashing, temporary passwords."""
