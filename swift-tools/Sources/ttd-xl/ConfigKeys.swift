// Every key of an xl config that `xl create` reads (Xen 4.17's
// tools/xl/xl_parse.c, documented in xl.cfg(5)), and what ttd-xl does with
// it: honoured, or refused with the reason.  A key xl does not read at all
// is refused as a likely typo (xl would ignore it silently).

/// What ttd-xl does with one xl.cfg key.
enum KeyDecision: Equatable {
    /// ttd-xl reads it and creates the domain as xl would.
    case honoured
    /// ttd-xl refuses a config that has it, for this reason.
    case refused(String)
}

/// The reasons, one per family of keys.
enum RefusalReason {
    static let hvm = "it configures an HVM guest's firmware, emulated devices or device model, "
        + "and ttd-xl creates PV and PVH domains only (time travel records PVH guests, which have no device model)"
    static let passthrough = "it passes host hardware into the domain; its inputs would reach a recorded "
        + "guest without being logged, and ttd-xl passes none"
    static let device = "ttd-xl connects disks, vifs and the TT-io console only, not this device"
    static let cpuModel = "it changes the virtual CPU, its timers or its counters, which a recording "
        + "and its replay must see the same; ttd-xl leaves Xen's defaults (the log header keeps the CPUID policy)"
    static let placement = "ttd-xl does not place or schedule vCPUs (use xl vcpu-pin, xl sched-credit2 "
        + "or xl cpupool-migrate once the domain exists)"
    static let security = "ttd-xl sets no XSM/FLASK labels"
    static let boot = "ttd-xl boots kernel= directly (no bootloader, shim or firmware)"
    static let limits = "ttd-xl leaves libxl's default for this setting"
    static let arm = "it applies to Arm guests only"
    static let lifecycle = "ttd-xl does not stay behind to handle this event (xl create does)"
    static let deprecated = "xl reads it only for old configs; write the current key instead"
}

/// Every key `xl create` (Xen 4.17) reads, with ttd-xl's decision.
let xlConfigKeys: [String: KeyDecision] = {
    var keys: [String: KeyDecision] = [:]
    for k in ["name", "type", "kernel", "ramdisk", "cmdline", "extra", "root", "memory", "maxmem",
              "vcpus", "on_poweroff", "on_reboot", "on_crash", "disk", "vif", "hap"] {
        keys[k] = .honoured
    }
    func refuse(_ names: [String], _ reason: String) {
        for k in names { keys[k] = .refused(reason) }
    }
    refuse(["acpi", "acpi_firmware", "acpi_laptop_slate", "acpi_s3", "acpi_s4", "apic", "bios",
            "bios_path_override", "boot", "device_model", "device_model_args", "device_model_args_hvm",
            "device_model_args_pv", "device_model_override", "device_model_stubdomain_override",
            "device_model_user", "device_model_version", "display", "dm_restrict", "hdtype", "hpet",
            "keymap", "mmio_hole", "ms_vm_genid", "nographic", "opengl", "pae", "sdl", "serial",
            "smbios_firmware", "soundhw", "spice", "spice_clipboard_sharing", "spice_image_compression",
            "spice_streaming_video", "spiceagent_mouse", "spicedisable_ticketing", "spicehost",
            "spicepasswd", "spiceport", "spicetls_port", "spiceusbredirection", "spicevdagent", "stdvga",
            "stubdomain_cmdline", "stubdomain_kernel", "stubdomain_memory", "stubdomain_ramdisk", "usb",
            "usbdevice", "usbversion", "vga", "videoram", "viridian", "vnc", "vncdisplay", "vnclisten",
            "vncpasswd", "vncunused", "vncviewer", "vendor_device", "xauthority", "xen_platform_pci",
            "rtc_timeoffset", "vkb_device", "firmware_override",
            "timer_mode", "vpt_align"], RefusalReason.hvm)
    refuse(["pci", "pci_msitranslate", "pci_permissive", "pci_power_mgmt", "pci_seize", "passthrough",
            "dtdev", "iomem", "ioports", "irqs", "rdm", "rdm_mem_boundary", "gfx_passthru", "e820_host"],
           RefusalReason.passthrough)
    refuse(["channel", "vfb", "vkb", "vtpm", "p9", "pvcalls", "vdispl", "vsnd", "usbctrl", "usbdev",
            "vuart"], RefusalReason.device)
    refuse(["cpuid", "tsc_mode", "nestedhvm", "altp2m", "altp2mhvm", "vpmu", "msr_relaxed", "mca_caps",
            "vmtrace_buf_kb", "nx", "oos", "vnuma"], RefusalReason.cpuModel)
    refuse(["cpus", "cpus_soft", "cpu_weight", "cap", "pool", "maxvcpus", "period", "slice", "latency",
            "extratime"], RefusalReason.placement)
    refuse(["seclabel", "init_seclabel", "device_model_stubdomain_seclabel"], RefusalReason.security)
    refuse(["bootloader", "bootloader_args", "firmware", "pvshim", "pvshim_path", "pvshim_cmdline",
            "pvshim_extra"], RefusalReason.boot)
    refuse(["max_event_channels", "max_grant_frames", "max_grant_version", "max_maptrack_frames", "uuid",
            "nomigrate", "driver_domain", "xend_suspend_evtchn_compat", "shadow_memory", "localtime"],
           RefusalReason.limits)
    refuse(["device_tree", "gic_version", "tee"], RefusalReason.arm)
    refuse(["on_soft_reset", "on_watchdog"], RefusalReason.lifecycle)
    refuse(["builder", "vif2"], RefusalReason.deprecated)
    return keys
}()

/// ttd-xl's own key: time travel (`time_travel="ttd_flag=1"`).
let ttdConfigKeys: Set<String> = ["time_travel"]

/// ttd-xl's decision on `key` of `config`: nil to go on, else the one
/// line that refuses it.
func refusal(ofKey key: String, in config: String) -> String? {
    if ttdConfigKeys.contains(key) { return nil }
    switch xlConfigKeys[key] {
    case .honoured?:
        return nil
    case .refused(let reason)?:
        return "\(config): key '\(key)' refused: \(reason); for such a domain use 'xl create \(config)'"
    case nil:
        return "\(config): key '\(key)' is not an xl.cfg key (xl would ignore it; a typo?): see xl.cfg(5), "
            + "or remove it"
    }
}

/// The honoured keys whose value is one string (a list there is refused,
/// as xl refuses it).  disk and vif are lists (one string is a list of
/// one); memory, maxmem, vcpus and hap numbers, checked as they are read.
let stringKeys = ["name", "type", "kernel", "ramdisk", "cmdline", "extra", "root",
                  "on_poweroff", "on_reboot", "on_crash", "time_travel"]
