from govern.cli.main import main

main()
