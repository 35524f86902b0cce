"""Plan + Provisioned -> the runtime config the native core reads."""
