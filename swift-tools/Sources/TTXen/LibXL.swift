// libxl (Debian's libxenlight): domain names, creation, pause, destroy.
// Every libxl call of the tools is in this file.

import CXen
#if canImport(Glibc)
import Glibc
#endif

/// What a domain does when it shuts down for a reason (xl's on_poweroff, ...).
public enum ShutdownAction: String, Sendable, CaseIterable {
    case destroy, restart, preserve
    case renameRestart = "rename-restart"
    case coredumpDestroy = "coredump-destroy"
    case coredumpRestart = "coredump-restart"
    case softReset = "soft-reset"

    var libxl: libxl_action_on_shutdown {
        switch self {
        case .destroy: return LIBXL_ACTION_ON_SHUTDOWN_DESTROY
        case .restart: return LIBXL_ACTION_ON_SHUTDOWN_RESTART
        case .preserve: return LIBXL_ACTION_ON_SHUTDOWN_PRESERVE
        case .renameRestart: return LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME
        case .coredumpDestroy: return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY
        case .coredumpRestart: return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART
        case .softReset: return LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET
        }
    }
}

/// A domain to create: what ttd-xl understands of an xl config.
public struct DomainSpec: Sendable {
    public var name = ""
    public var type = "pvh"             // pvh, hvm, pv
    public var kernel: String? = nil
    public var ramdisk: String? = nil
    public var cmdline: String? = nil
    public var memoryMB = 128
    public var maxMemoryMB: Int? = nil
    public var vcpus = 1
    /// xl's `hap`: true hardware-assisted paging, false shadow paging, nil
    /// libxl's default (HAP when the host has it).
    public var hap: Bool? = nil
    public var onPoweroff: ShutdownAction = .destroy
    public var onReboot: ShutdownAction = .restart
    public var onCrash: ShutdownAction = .destroy
    /// xl disk specs, parsed by libxlutil's xlu_disk_parse.
    public var disks: [String] = []
    /// Network interfaces: bridge, mac, ip, script.
    public var nics: [[String: String]] = []
    public init() {}
}

private func dup(_ s: String?) -> UnsafeMutablePointer<CChar>? { s.map { strdup($0) } }

/// A libxl context (libxl_ctx), logging libxl's errors to standard error.
public final class LibXL {
    private let ctx: OpaquePointer
    private let logger: OpaquePointer

    /// `verbosity` 0 shows libxl's errors only; 1, 2, 3 more of its
    /// messages, as xl's -v, -vv, -vvv do (details, verbose, debug).
    public init(verbosity: Int = 0) throws {
        let level = verbosity <= 0 ? XTL_ERROR
            : xentoollog_level(rawValue: max(XTL_DEBUG.rawValue, XTL_PROGRESS.rawValue - UInt32(min(verbosity, 3))))
        guard let lg = xtl_createlogger_stdiostream(fdopen(dup(2), "w"), level, 0) else {
            throw XenError.call(what: "libxl logger", detail: String(cString: strerror(errno)))
        }
        var c: OpaquePointer? = nil
        let rc = libxl_ctx_alloc(&c, Int32(LIBXL_VERSION), 0,
                                 UnsafeMutableRawPointer(lg).assumingMemoryBound(to: xentoollog_logger.self))
        guard rc == 0, let c else {
            xtl_logger_destroy(UnsafeMutableRawPointer(lg).assumingMemoryBound(to: xentoollog_logger.self))
            throw XenError.call(what: "libxl_ctx_alloc", detail: "error \(rc): is xenstored running, and are you root in dom0?")
        }
        ctx = c
        logger = lg
    }

    deinit {
        libxl_ctx_free(ctx)
        xtl_logger_destroy(UnsafeMutableRawPointer(logger).assumingMemoryBound(to: xentoollog_logger.self))
    }

    /// A domain id from a number or a name.
    public func domain(_ idOrName: String) throws -> DomainID {
        if let n = UInt32(idOrName) { return DomainID(n) }
        var d: UInt32 = 0
        let rc = libxl_name_to_domid(ctx, idOrName, &d)
        guard rc == 0 else {
            // libxl answers ERROR_INVAL when no domain has the name, another
            // error when it could not list the domains.
            throw XenError.call(what: "domain \(idOrName)", detail: rc == ERROR_INVAL.rawValue
                                ? "no domain of that name (xl list shows the domains)"
                                : "cannot list the domains to find it (libxl error \(rc))")
        }
        return DomainID(d)
    }

    public func name(of d: DomainID) -> String? {
        guard let p = libxl_domid_to_name(ctx, d.rawValue) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    public func unpause(_ d: DomainID) throws {
        let rc = libxl_domain_unpause(ctx, d.rawValue, nil)
        guard rc == 0 else { throw XenError.call(what: "unpausing domain \(d)", detail: "libxl error \(rc)") }
    }

    public func destroy(_ d: DomainID) throws {
        let rc = libxl_domain_destroy(ctx, d.rawValue, nil)
        guard rc == 0 else { throw XenError.call(what: "destroying domain \(d)", detail: "libxl error \(rc)") }
    }

    /// Creates the domain, paused (libxl leaves it so); returns its id.
    /// `diskConfig` parses the disk specs (libxlutil needs its config).
    public func create(_ spec: DomainSpec, diskConfig: DomainConfig) throws -> DomainID {
        var config = libxl_domain_config()
        libxl_domain_config_init(&config)
        defer { libxl_domain_config_dispose(&config) }
        try LibXL.fill(&config, spec, diskConfig: diskConfig)
        var domid: UInt32 = 0
        let rc = libxl_domain_create_new(ctx, &config, &domid, nil, nil)
        guard rc == 0 else {
            throw XenError.call(what: "creating domain \(spec.name)", detail: "libxl error \(rc) (its messages are above)")
        }
        return DomainID(domid)
    }

    /// The domain config `create` would hand to libxl, as libxl's JSON
    /// (what `xl create -n` prints).  Needs no libxl context, so no Xen:
    /// libxl_domain_config_to_json uses its context only to log a failure
    /// of the JSON generator, and libxl's generator (beautified, no UTF-8
    /// validation; a domain config has no floating-point field) fails only
    /// when memory runs out, which is then reported as an error here.
    public static func configJSON(_ spec: DomainSpec, diskConfig: DomainConfig) throws -> String {
        var config = libxl_domain_config()
        libxl_domain_config_init(&config)
        defer { libxl_domain_config_dispose(&config) }
        try fill(&config, spec, diskConfig: diskConfig)
        guard let json = libxl_domain_config_to_json(nil, &config) else {
            throw XenError.call(what: "domain \(spec.name)", detail: "libxl cannot write its config as JSON")
        }
        defer { free(json) }
        return String(cString: json)
    }

    /// Fills an initialized libxl_domain_config from `spec`, as xl's
    /// parse_config_data does for these keys; no libxl context needed.
    static func fill(_ config: inout libxl_domain_config, _ spec: DomainSpec, diskConfig: DomainConfig) throws {
        let type: libxl_domain_type
        switch spec.type {
        case "pvh": type = LIBXL_DOMAIN_TYPE_PVH
        case "hvm": type = LIBXL_DOMAIN_TYPE_HVM
        case "pv": type = LIBXL_DOMAIN_TYPE_PV
        default: throw XenError.call(what: "type \"\(spec.type)\"", detail: "unknown domain type (pvh, hvm or pv)")
        }
        config.c_info.type = type
        config.c_info.name = dup(spec.name)
        // xl parses `hap` into the create info's defbool (libxl 4.17: c_info.hap).
        if let hap = spec.hap { libxl_defbool_set(&config.c_info.hap, hap) }
        libxl_domain_build_info_init_type(&config.b_info, type)
        config.b_info.max_vcpus = Int32(spec.vcpus)
        // libxl_cpu_bitmap_alloc(ctx, map, vcpus) without the context: a
        // calloc'ed map of (vcpus + 7) / 8 bytes, which libxl_bitmap_dispose frees.
        let bytes = (spec.vcpus + 7) / 8
        guard let map = calloc(bytes, 1) else {
            throw XenError.call(what: "vcpus = \(spec.vcpus)", detail: "cannot allocate the vCPU bitmap")
        }
        config.b_info.avail_vcpus.map = map.assumingMemoryBound(to: UInt8.self)
        config.b_info.avail_vcpus.size = UInt32(bytes)
        for i in 0..<spec.vcpus { libxl_bitmap_set(&config.b_info.avail_vcpus, Int32(i)) }
        config.b_info.target_memkb = UInt64(spec.memoryMB) * 1024
        config.b_info.max_memkb = UInt64(spec.maxMemoryMB ?? spec.memoryMB) * 1024
        config.b_info.kernel = dup(spec.kernel)
        config.b_info.ramdisk = dup(spec.ramdisk)
        config.b_info.cmdline = dup(spec.cmdline)
        config.on_poweroff = spec.onPoweroff.libxl
        config.on_reboot = spec.onReboot.libxl
        config.on_crash = spec.onCrash.libxl
        config.on_watchdog = LIBXL_ACTION_ON_SHUTDOWN_DESTROY

        if !spec.disks.isEmpty {
            let disks = calloc(spec.disks.count, MemoryLayout<libxl_device_disk>.stride)!
                .assumingMemoryBound(to: libxl_device_disk.self)
            config.disks = disks
            for (i, d) in spec.disks.enumerated() {
                libxl_device_disk_init(disks + i)
                config.num_disks = Int32(i + 1)
                try diskConfig.parseDisk(d, into: disks + i)
            }
        }
        if !spec.nics.isEmpty {
            let nics = calloc(spec.nics.count, MemoryLayout<libxl_device_nic>.stride)!
                .assumingMemoryBound(to: libxl_device_nic.self)
            config.nics = nics
            for (i, n) in spec.nics.enumerated() {
                libxl_device_nic_init(nics + i)
                config.num_nics = Int32(i + 1)
                nics[i].devid = Int32(i)
                nics[i].bridge = dup(n["bridge"])
                nics[i].ip = dup(n["ip"])
                nics[i].script = dup(n["script"])
                if let mac = n["mac"] {
                    let parts = mac.split(separator: ":").compactMap { UInt8($0, radix: 16) }
                    guard parts.count == 6 else {
                        throw XenError.call(what: "vif mac=\(mac)", detail: "not a MAC address (aa:bb:cc:dd:ee:ff)")
                    }
                    nics[i].mac = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
                }
            }
        }
    }
}

extension DomainConfig {
    func parseDisk(_ spec: String, into disk: UnsafeMutablePointer<libxl_device_disk>) throws {
        let rc: Int32 = spec.withCString { s in
            var p: UnsafePointer<CChar>? = s
            return withUnsafePointer(to: &p) { xlu_disk_parse(cfgPointer, 1, $0, disk) }
        }
        guard rc == 0 else {
            let message = takeReport()
            throw XenError.configValue(path: path, key: "disk", detail: "cannot parse '\(spec)'"
                                       + (message.isEmpty ? "" : " (libxlutil: \(message))"))
        }
    }
}
