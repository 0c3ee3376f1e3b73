from sheet_sync.cli import main

raise SystemExit(main())
